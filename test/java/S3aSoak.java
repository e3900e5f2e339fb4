// A real Hadoop S3A client for the test suite (test/peers/java.ts runs it; scripts/setup-test.sh
// compiles it against hadoop-aws and the AWS SDK bundle pinned in pom.xml, profile `s3a`).
//
//   java S3aSoak s3a://BUCKET/KEY THREADS SECONDS
//
// THREADS threads each open, read to the end and close the object again and again for SECONDS
// seconds (a new stream and a new GET each time), then it prints one JSON line
//   {"reads":N,"failures":N,"bytes":N,"threads":N,"seconds":N,"provider":"…","errors":["…",…]}
// (`errors`: the first few distinct failure messages) and exits 1 if any read failed or none was
// made, 2 if the filesystem could not even be created.
//
// No credentials are configured: fs.s3a.aws.credentials.provider names the AWS SDK's default chain
// (software.amazon.awssdk.auth.credentials.DefaultCredentialsProvider), so what the chain finds in
// the environment is what S3A signs with; LAKEKEY_S3A_CREDENTIALS_PROVIDER overrides it, and
// `s3a-default` leaves the option unset, for S3A's own list (its IAMInstanceCredentialsProvider asks
// the container endpoint first). Set up from the environment: the endpoint (LAKEKEY_S3_ENDPOINT,
// http or https), path-style access, the region (AWS_REGION). The classic input stream: no prefetch,
// no block cache, no analytics stream, so every read is a request.
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

public final class S3aSoak {
  private S3aSoak() {}

  private static final int MAX_ERRORS = 5;

  public static void main(String[] args) throws InterruptedException {
    if (args.length < 3 || args.length > 4) {
      System.err.println("usage: S3aSoak s3a://BUCKET/KEY THREADS SECONDS [PAUSE_MS]");
      System.exit(2);
    }
    URI uri = URI.create(args[0]);
    int threads = Integer.parseInt(args[1]);
    double seconds = Double.parseDouble(args[2]);
    long pauseMs = args.length > 3 ? Long.parseLong(args[3]) : 0;

    // core-default.xml's values (S3A's own defaults), no core-site.xml on the classpath.
    Configuration conf = new Configuration();
    String provider = System.getenv("LAKEKEY_S3A_CREDENTIALS_PROVIDER");
    if (provider == null || provider.isEmpty()) provider = "software.amazon.awssdk.auth.credentials.DefaultCredentialsProvider";
    if (!provider.equals("s3a-default")) conf.set("fs.s3a.aws.credentials.provider", provider);
    String endpoint = System.getenv("LAKEKEY_S3_ENDPOINT");
    if (endpoint != null && !endpoint.isEmpty()) {
      conf.set("fs.s3a.endpoint", endpoint);
      conf.setBoolean("fs.s3a.connection.ssl.enabled", endpoint.startsWith("https:"));
    }
    conf.setBoolean("fs.s3a.path.style.access", true);
    String region = System.getenv("AWS_REGION");
    if (region != null && !region.isEmpty()) conf.set("fs.s3a.endpoint.region", region);
    conf.set("fs.s3a.input.stream.type", "classic");
    conf.setBoolean("fs.s3a.prefetch.enabled", false);
    conf.setInt("fs.s3a.connection.maximum", Math.max(threads * 2, 16));
    // A failure is counted, not retried for minutes: S3A's defaults retry for long.
    conf.setInt("fs.s3a.attempts.maximum", 2);
    conf.setInt("fs.s3a.retry.limit", 2);
    conf.set("fs.s3a.retry.interval", "200ms");
    conf.setBoolean("fs.s3a.impl.disable.cache", true);

    FileSystem fs;
    try {
      fs = FileSystem.get(uri, conf);
    } catch (IOException | RuntimeException e) {
      System.err.println("S3aSoak failed to create the filesystem: " + describe(e));
      System.exit(2);
      return;
    }
    Path path = new Path(uri);
    AtomicLong reads = new AtomicLong();
    AtomicLong failures = new AtomicLong();
    AtomicLong bytes = new AtomicLong();
    Set<String> errors = new LinkedHashSet<>();
    long deadline = System.nanoTime() + (long) (seconds * 1e9);
    List<Thread> workers = new ArrayList<>();
    for (int t = 0; t < threads; t++) {
      Thread worker = new Thread(() -> {
        byte[] buffer = new byte[64 * 1024];
        while (System.nanoTime() < deadline) {
          try (InputStream in = fs.open(path)) {
            long n = 0;
            for (int r; (r = in.read(buffer)) > 0; ) n += r;
            bytes.addAndGet(n);
            reads.incrementAndGet();
          } catch (IOException | RuntimeException e) {
            failures.incrementAndGet();
            synchronized (errors) {
              if (errors.size() < MAX_ERRORS) errors.add(describe(e));
            }
          }
          if (pauseMs > 0) {
            try {
              Thread.sleep(pauseMs);
            } catch (InterruptedException e) {
              return;
            }
          }
        }
      }, "soak-" + t);
      workers.add(worker);
      worker.start();
    }
    for (Thread w : workers) w.join();
    try {
      fs.close();
    } catch (IOException e) {
      // the counts are what matter
    }

    StringBuilder out = new StringBuilder("{");
    out.append("\"reads\":").append(reads.get());
    out.append(",\"failures\":").append(failures.get());
    out.append(",\"bytes\":").append(bytes.get());
    out.append(",\"threads\":").append(threads);
    out.append(",\"seconds\":").append(seconds);
    out.append(",\"provider\":").append(json(provider));
    out.append(",\"errors\":[");
    int i = 0;
    synchronized (errors) {
      for (String e : errors) out.append(i++ == 0 ? "" : ",").append(json(e));
    }
    System.out.println(out.append("]}"));
    System.exit(failures.get() > 0 || reads.get() == 0 ? 1 : 0);
  }

  /**
   * The exception and the causes it does not already quote, one line, without request ids (each
   * request has its own: one failure repeated is one message).
   */
  static String describe(Throwable e) {
    StringBuilder s = new StringBuilder(e.getClass().getName()).append(": ").append(e.getMessage());
    int depth = 0;
    for (Throwable c = e.getCause(); c != null && depth < 5; c = c.getCause(), depth++) {
      String message = String.valueOf(c.getMessage());
      if (s.indexOf(message) >= 0) continue;
      s.append(" | caused by ").append(c.getClass().getName()).append(": ").append(message);
    }
    return s.toString().replace('\n', ' ').replaceAll("(Extended )?Request ID: [^,)]*", "$1Request ID: …");
  }

  static String json(String s) {
    if (s == null) return "null";
    StringBuilder b = new StringBuilder("\"");
    for (char c : s.toCharArray()) {
      if (c == '"' || c == '\\') b.append('\\').append(c);
      else if (c < 0x20 || c == 0x7f || c == 0x2028 || c == 0x2029) b.append(String.format("\\u%04x", (int) c));
      else b.append(c);
    }
    return b.append('"').toString();
  }
}
