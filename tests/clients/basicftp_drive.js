// Drives ftpkit with Node's basic-ftp through the scenario
// tests/clientscenario.py describes, printing one JSON object a line for
// the test to check. Usage (NODE_PATH naming where basic-ftp is):
//   node basicftp_drive.js HOST PORT SECURITY DATA LOCALDIR
// SECURITY: plain, explicit or implicit; DATA: epsv or passive (PASV).
// A sixth argument "empties" only uploads ten empty files.

"use strict";
const crypto = require("crypto");
const fs = require("fs");
const path = require("path");
const { Readable, Writable } = require("stream");
const ftp = require("basic-ftp");
const transfer = require("basic-ftp/dist/transfer");

const [host, portText, security, data, local] = process.argv.slice(2);

function emit(step, fields = {}) {
  process.stdout.write(JSON.stringify({ step, ...fields }) + "\n");
}

function sha256(buffer) {
  return crypto.createHash("sha256").update(buffer).digest("hex");
}

function kind(info) {
  return info.isSymbolicLink ? "link"
    : info.isDirectory ? "dir" : info.isFile ? "file" : "unknown";
}

function day(date) {
  return date ? date.toISOString().slice(0, 16).replace("T", " ") : null;
}

function entries(list) {
  return list.map((info) => [info.name, info.size, kind(info),
                             day(info.modifiedAt)]);
}

class Sink extends Writable {
  constructor() {
    super();
    this.chunks = [];
  }

  _write(chunk, encoding, done) {
    this.chunks.push(chunk);
    done();
  }

  bytes() {
    return Buffer.concat(this.chunks);
  }
}

async function get(client, name, startAt = 0) {
  const sink = new Sink();
  await client.downloadTo(sink, name, startAt);
  return sink.bytes();
}

async function step(what, body) {
  try {
    return await body();
  } catch (err) {
    emit("error", { what, detail: String(err && err.message || err) });
    return undefined;
  }
}

async function main() {
  const client = new ftp.Client(20000);
  const options = {
    host, port: Number(portText), user: "alice", password: "secret",
    secure: { plain: false, explicit: true, implicit: "implicit" }[security],
    secureOptions: { rejectUnauthorized: false },
  };
  const welcome = await client.access(options);
  emit("connected", { reply: `${welcome.code} ${welcome.message}` });
  if (data === "passive") {
    client.prepareTransfer = transfer.enterPassiveModeIPv4_forceControlHostIP;
  }
  if (process.argv[7] === "empties") {
    // Empty uploads in a row: Node ends each in the turn its data
    // connection's handshake completes.
    for (let i = 0; i < 10; i++) {
      await step("STOR empty " + i, () => client.uploadFrom(
        Readable.from([]), `empty${i}.bin`));
    }
    client.close();
    emit("done");
    return;
  }
  const features = await client.features();
  emit("features", { lines: [...features.keys()], mlst: features.has("MLST") });

  await step("MLSD seed", async () => emit("mlsd", {
    entries: entries(await client.list("seed")) }));
  const mlsdCommands = client.availableListCommands;
  client.availableListCommands = ["LIST -a", "LIST"];
  await step("LIST seed", async () => emit("list", {
    entries: entries(await client.list("seed")) }));
  client.availableListCommands = mlsdCommands;

  for (const name of ["old.txt", "name with spaces.txt",
                      "[br] \u00fc \u20ac.txt", "empty.txt", "link.txt"]) {
    await step("RETR " + name, async () => emit("get", {
      name, sha256: sha256(await get(client, "seed/" + name)) }));
  }
  const big = await get(client, "seed/big.bin");
  emit("get", { name: "big.bin", sha256: sha256(big) });
  await step("REST/RETR", async () => emit("rest", {
    offset: 1000000,
    sha256: sha256(await get(client, "seed/big.bin", 1000000)) }));
  await step("SIZE/MDTM", async () => emit("sizes", {
    size: await client.size("seed/big.bin"),
    lastMod: day(await client.lastMod("seed/old.txt")) }));

  const dir = "up [x] \u00fc";
  await step("ensureDir", () => client.ensureDir(dir));
  emit("pwd", { path: await client.pwd() });
  await step("STOR empty", () => client.uploadFrom(
    Readable.from([]), "empty.bin"));
  await step("STOR big", () => client.uploadFrom(
    Readable.from([big]), "big.bin"));
  await step("STOR odd", () => client.uploadFrom(
    Readable.from([Buffer.from("hello\n")]), "sp ace \u20ac.txt"));
  await step("APPE", async () => {
    await client.uploadFrom(Readable.from([big.subarray(0, 1000000)]),
                            "appended.bin");
    await client.appendFrom(Readable.from([big.subarray(1000000)]),
                            "appended.bin");
  });
  await step("SIZE appended", async () => emit("size", {
    appended: await client.size("appended.bin") }));
  await step("RNFR/RNTO", () => client.rename("sp ace \u20ac.txt",
                                              "renamed [1].txt"));
  await step("MFMT", () => client.send(
    "MFMT 20200102030405 renamed [1].txt"));
  await step("MDTM", async () => emit("mdtm", {
    lastMod: day(await client.lastMod("renamed [1].txt")) }));
  await step("SITE CHMOD", () => client.send("SITE CHMOD 600 renamed [1].txt"));
  await step("emptylist", async () => {
    await client.send("MKD e");
    emit("emptylist", { mlsd: entries(await client.list("e")) });
    await client.removeEmptyDir("e");
  });
  await step("DELE", () => client.remove("empty.bin"));
  await client.cd("/");
  await step("MLSD up", async () => emit("uploaded", {
    mlsd: entries(await client.list(dir)) }));

  await step("uploadFromDir", () => client.uploadFromDir(
    path.join(local, "tree"), "tree"));
  await step("downloadToDir", () => client.downloadToDir(
    path.join(local, "back"), "tree"));
  await step("removeDir", () => client.removeDir("tree"));
  client.close();
  emit("done");
}

main().catch((err) => {
  emit("fatal", { detail: String(err && err.stack || err) });
  process.exitCode = 1;
});
