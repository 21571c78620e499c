// Drives ftpkit with Apache commons-net's FTPClient / FTPSClient through
// the scenario tests/clientscenario.py describes, printing one JSON object
// a line for the test to check. Usage:
//   java -cp commons-net.jar:DIR CommonsNetDrive HOST PORT SECURITY DATA
// SECURITY: plain, explicit or implicit; DATA: passive, epsv or active.
// A fifth argument "reuse" only lists, saying how a refused data
// connection (--tls-require-session-reuse) shows; "keepalive NAME" only
// downloads NAME with a control keep-alive of 1 s (NOOP sent during the
// transfer), saying whether retrieveFile took it for a success.

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Calendar;
import java.util.List;

import org.apache.commons.net.ftp.FTP;
import org.apache.commons.net.ftp.FTPClient;
import org.apache.commons.net.ftp.FTPFile;
import org.apache.commons.net.ftp.FTPSClient;
import org.apache.commons.net.util.TrustManagerUtils;

public class CommonsNetDrive {
    static FTPClient ftp;

    static String quote(String text) {
        StringBuilder out = new StringBuilder("\"");
        for (char c : text.toCharArray()) {
            if (c == '"' || c == '\\') {
                out.append('\\').append(c);
            } else if (c < 0x20 || c > 0x7e) {
                out.append(String.format("\\u%04x", (int) c));
            } else {
                out.append(c);
            }
        }
        return out.append('"').toString();
    }

    static String json(Object value) {
        if (value == null) {
            return "null";
        }
        if (value instanceof String) {
            return quote((String) value);
        }
        if (value instanceof Number || value instanceof Boolean) {
            return value.toString();
        }
        List<String> parts = new ArrayList<>();
        for (Object each : (List<?>) value) {
            parts.add(json(each));
        }
        return "[" + String.join(",", parts) + "]";
    }

    static void emit(String step, Object... pairs) {
        StringBuilder out = new StringBuilder("{\"step\":" + quote(step));
        for (int i = 0; i < pairs.length; i += 2) {
            out.append(",").append(quote((String) pairs[i])).append(":")
                .append(json(pairs[i + 1]));
        }
        System.out.println(out.append("}"));
        System.out.flush();
    }

    static String reply() {
        return ftp.getReplyString().trim();
    }

    static void check(String what, boolean ok) {
        if (!ok) {
            emit("error", "what", what, "detail", reply());
        }
    }

    static String sha256(byte[] data) throws Exception {
        byte[] digest = MessageDigest.getInstance("SHA-256").digest(data);
        StringBuilder out = new StringBuilder();
        for (byte b : digest) {
            out.append(String.format("%02x", b));
        }
        return out.toString();
    }

    static String kind(FTPFile file) {
        if (file == null) {
            return "null";
        }
        return file.isSymbolicLink() ? "link"
            : file.isDirectory() ? "dir" : file.isFile() ? "file" : "unknown";
    }

    static String day(Calendar when) {
        if (when == null) {
            return null;
        }
        return DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm")
            .format(when.toInstant().atOffset(ZoneOffset.UTC));
    }

    static List<Object> entries(FTPFile[] files) {
        List<Object> out = new ArrayList<>();
        if (files == null) {
            return out;
        }
        for (FTPFile file : files) {
            if (file == null) {
                out.add(Arrays.asList(null, null, "null", null));
                continue;
            }
            out.add(Arrays.asList(file.getName(), file.getSize(), kind(file),
                                  day(file.getTimestamp())));
        }
        return out;
    }

    static byte[] get(String name) throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        check("RETR " + name, ftp.retrieveFile(name, out));
        return out.toByteArray();
    }

    static void put(String name, byte[] data) throws Exception {
        check("STOR " + name, ftp.storeFile(name,
            new ByteArrayInputStream(data)));
    }

    public static void main(String[] args) throws Exception {
        String host = args[0], security = args[2], data = args[3];
        int port = Integer.parseInt(args[1]);
        if (security.equals("plain")) {
            ftp = new FTPClient();
        } else {
            FTPSClient ftps = new FTPSClient("TLS",
                                             security.equals("implicit"));
            ftps.setTrustManager(
                TrustManagerUtils.getAcceptAllTrustManager());
            ftp = ftps;
        }
        ftp.setControlEncoding("UTF-8");
        ftp.setConnectTimeout(20000);
        ftp.setDefaultTimeout(20000);
        ftp.setDataTimeout(java.time.Duration.ofSeconds(20));
        ftp.connect(host, port);
        emit("connected", "reply", reply());
        check("USER/PASS", ftp.login("alice", "secret"));
        if (ftp instanceof FTPSClient) {
            ((FTPSClient) ftp).execPBSZ(0);
            ((FTPSClient) ftp).execPROT("P");
            emit("prot", "reply", reply());
        }
        check("TYPE I", ftp.setFileType(FTP.BINARY_FILE_TYPE));
        if (data.equals("active")) {
            ftp.enterLocalActiveMode();
        } else {
            ftp.enterLocalPassiveMode();
            ftp.setUseEPSVwithIPv4(data.equals("epsv"));
        }
        if (args.length > 4 && args[4].equals("reuse")) {
            // Under --tls-require-session-reuse: FTPSClient does not resume
            // the control connection's session on data connections.
            try {
                ftp.listFiles("seed");
                emit("listed", "reply", reply());
            } catch (java.io.IOException e) {
                emit("dataerror", "detail", e.toString());
                ftp.getReply();
                emit("reply", "reply", reply());
            }
            check("QUIT", ftp.logout());
            emit("done");
            return;
        }
        if (args.length > 5 && args[4].equals("keepalive")) {
            ftp.setControlKeepAliveTimeout(java.time.Duration.ofSeconds(1));
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            boolean ok = ftp.retrieveFile(args[5], out);
            emit("keepalive", "ok", ok, "reply", reply(),
                 "size", out.size());
            ftp.setControlKeepAliveTimeout(java.time.Duration.ZERO);
            check("NOOP", ftp.sendNoOp());
            emit("noop", "reply", reply());
            check("QUIT", ftp.logout());
            emit("done");
            return;
        }
        check("FEAT", ftp.features());
        emit("features", "lines", Arrays.asList(ftp.getReplyStrings()),
             "mlst", ftp.hasFeature("MLST"));

        emit("list", "entries", entries(ftp.listFiles("seed")));
        check("LIST seed", ftp.getReplyCode() == 226);
        emit("mlsd", "entries", entries(ftp.mlistDir("seed")));
        emit("mlst", "entries", Arrays.asList(
            entries(new FTPFile[] {ftp.mlistFile("seed/big.bin")}).get(0)));
        String[] names = ftp.listNames("seed");
        emit("nlst", "names", names == null ? null : Arrays.asList(names));

        for (String name : new String[] {"old.txt", "name with spaces.txt",
                "[br] \u00fc \u20ac.txt", "empty.txt", "link.txt"}) {
            byte[] got = get("seed/" + name);
            emit("get", "name", name, "sha256", sha256(got));
        }
        byte[] big = get("seed/big.bin");
        emit("get", "name", "big.bin", "sha256", sha256(big));

        InputStream stream = ftp.retrieveFileStream("seed/big.bin");
        byte[] streamed = stream == null ? new byte[0] : stream.readAllBytes();
        if (stream != null) {
            stream.close();
        }
        check("completePendingCommand", ftp.completePendingCommand());
        emit("stream", "sha256", sha256(streamed));

        ftp.setRestartOffset(1000000);
        byte[] rest = get("seed/big.bin");
        emit("rest", "offset", 1000000, "sha256", sha256(rest));

        String dir = "up [x] \u00fc";
        check("MKD", ftp.makeDirectory(dir));
        check("CWD", ftp.changeWorkingDirectory(dir));
        emit("pwd", "path", ftp.printWorkingDirectory());
        put("empty.bin", new byte[0]);
        put("big.bin", big);
        put("sp ace \u20ac.txt", "hello\n".getBytes(StandardCharsets.UTF_8));

        byte[] head = Arrays.copyOf(big, 1000000);
        byte[] tail = Arrays.copyOfRange(big, 1000000, big.length);
        put("appended.bin", head);
        check("APPE", ftp.appendFile("appended.bin",
                                     new ByteArrayInputStream(tail)));
        put("restarted.bin", head);
        ftp.setRestartOffset(1000000);
        put("restarted.bin", tail);
        emit("size", "appended", ftp.getSize("appended.bin"),
             "restarted", ftp.getSize("restarted.bin"));
        put("resumed.bin", head);
        ftp.setRestartOffset(Long.parseLong(ftp.getSize("resumed.bin")));
        check("REST+APPE", ftp.appendFile("resumed.bin",
                                          new ByteArrayInputStream(tail)));
        emit("restappend", "size", ftp.getSize("resumed.bin"),
             "sha256", sha256(get("resumed.bin")));
        check("DELE resumed", ftp.deleteFile("resumed.bin"));

        check("RNFR/RNTO", ftp.rename("sp ace \u20ac.txt", "renamed [1].txt"));
        check("MFMT", ftp.setModificationTime("renamed [1].txt",
                                              "20200102030405"));
        emit("mdtm", "reply", ftp.getModificationTime("renamed [1].txt"),
             "instant", String.valueOf(ftp.mdtmInstant("renamed [1].txt")));
        check("SITE CHMOD", ftp.sendSiteCommand("CHMOD 600 renamed [1].txt"));

        check("MKD empty", ftp.makeDirectory("e"));
        emit("emptylist", "list", entries(ftp.listFiles("e")),
             "mlsd", entries(ftp.mlistDir("e")));
        check("RMD", ftp.removeDirectory("e"));
        check("DELE", ftp.deleteFile("empty.bin"));
        check("CDUP", ftp.changeToParentDirectory());
        emit("uploaded", "mlsd", entries(ftp.mlistDir(dir)));
        check("QUIT", ftp.logout());
        ftp.disconnect();
        emit("done");
    }
}
