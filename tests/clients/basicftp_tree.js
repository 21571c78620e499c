// Sends a local tree up with Node's basic-ftp and fetches it back, for
// tests/integration/test_clients_edgetrees.py. Usage (NODE_PATH naming where
// basic-ftp is):
//   node basicftp_tree.js HOST PORT SECURITY REMOTE TREE BACK
// SECURITY: explicit or implicit. Prints "done" once every step passed;
// exits with status 1 and the error otherwise.

"use strict";
const ftp = require("basic-ftp");

const [host, port, security, remote, tree, back] = process.argv.slice(2);

async function main() {
  const client = new ftp.Client(30000);
  try {
    await client.access({
      host, port: Number(port), user: "alice", password: "secret",
      secure: security === "implicit" ? "implicit" : true,
      secureOptions: { rejectUnauthorized: false },
    });
    await client.ensureDir(remote);
    await client.uploadFromDir(tree);
    await client.cd("/");
    await client.downloadToDir(back, remote);
    console.log("done");
  } finally {
    client.close();
  }
}

main().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});
