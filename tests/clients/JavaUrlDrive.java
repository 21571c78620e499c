// Drives ftpkit with the JDK's own ftp:// URL handler (what
// java.net.URL("ftp://...").openStream() uses, no library), run as a
// source file: java JavaUrlDrive.java PORT LOCALDIR PATH...
// Each PATH (percent-encoded, below the root) is fetched into LOCALDIR
// under its index; then up.bin, 70,000 zero bytes, is stored in the first
// PATH's directory (";type=i"). Prints one line a step.

import java.io.InputStream;
import java.io.OutputStream;
import java.net.URL;
import java.net.URLConnection;
import java.nio.file.Files;
import java.nio.file.Paths;

public class JavaUrlDrive {
    public static void main(String[] args) throws Exception {
        String base = "ftp://alice:secret@127.0.0.1:" + args[0] + "/";
        for (int i = 2; i < args.length; i++) {
            URLConnection connection = new URL(base + args[i]).openConnection();
            connection.setConnectTimeout(30000);
            connection.setReadTimeout(30000);
            try (InputStream in = connection.getInputStream()) {
                Files.write(Paths.get(args[1], "got" + (i - 2)), in.readAllBytes());
            }
            System.out.println("got " + args[i]);
        }
        String directory = args[2].substring(0, args[2].lastIndexOf('/') + 1);
        URLConnection up = new URL(base + directory + "up.bin;type=i").openConnection();
        up.setDoOutput(true);
        up.setConnectTimeout(30000);
        up.setReadTimeout(30000);
        try (OutputStream out = up.getOutputStream()) {
            out.write(new byte[70000]);
        }
        System.out.println("stored");
    }
}
