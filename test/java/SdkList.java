// A real AWS SDK for Java v2 client for the test suite (test/peers/java.ts runs it; scripts/setup-test.sh
// compiles it against the SDK pinned in pom.xml, profile `sdk`).
//
//   java SdkList BUCKET [KEY]
//
// Configured only as an application with nothing set up would be: the SDK's default credentials
// chain and its default region chain (AWS_REGION), plus the S3 endpoint from LAKEKEY_S3_ENDPOINT with
// path-style access (MinIO). Lists BUCKET, or with KEY gets that one object, and prints one JSON line:
//   {"provider":"…","source":[…],"expiration":"…"|null,"sessionToken":true|false,"keys":[…]}  (list)
//   {…,"key":"…","bytes":N}                                                                   (get)
// `provider` is what the SDK says supplied the credentials, AwsCredentials.providerName(): in this SDK
// not a class name but its business-metric code(s), comma-separated (e.g. "g"); `source` spells each
// code out with the SDK's own BusinessMetricFeatureId names: CREDENTIALS_ENV_VARS for the
// environment variables, CREDENTIALS_HTTP for the container credentials endpoint, CREDENTIALS_IMDS
// for instance metadata, CREDENTIALS_PROFILE… for the config files.
// On failure it prints `SdkList failed: <exception>` on stderr and exits 1 (2 for bad arguments).
import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import software.amazon.awssdk.auth.credentials.AwsCredentials;
import software.amazon.awssdk.auth.credentials.AwsSessionCredentials;
import software.amazon.awssdk.auth.credentials.DefaultCredentialsProvider;
import software.amazon.awssdk.awscore.exception.AwsServiceException;
import software.amazon.awssdk.core.ResponseBytes;
import software.amazon.awssdk.core.useragent.BusinessMetricFeatureId;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.S3ClientBuilder;
import software.amazon.awssdk.services.s3.model.GetObjectResponse;
import software.amazon.awssdk.services.s3.model.ListObjectsV2Response;
import software.amazon.awssdk.services.s3.model.S3Object;

public final class SdkList {
  private SdkList() {}

  public static void main(String[] args) {
    if (args.length < 1 || args.length > 2) {
      System.err.println("usage: SdkList BUCKET [KEY]");
      System.exit(2);
    }
    String bucket = args[0];
    String key = args.length > 1 ? args[1] : null;
    // The default chain, built as the SDK builds it for a client that is given none; passed to the
    // client explicitly only so that the credentials it resolved can be asked where they came from.
    try (DefaultCredentialsProvider chain = DefaultCredentialsProvider.builder().build()) {
      S3ClientBuilder builder = S3Client.builder().credentialsProvider(chain).forcePathStyle(true);
      String endpoint = System.getenv("LAKEKEY_S3_ENDPOINT");
      if (endpoint != null && !endpoint.isEmpty()) builder.endpointOverride(URI.create(endpoint));
      StringBuilder out = new StringBuilder("{");
      try (S3Client s3 = builder.build()) {
        String result;
        if (key == null) {
          List<String> keys = new ArrayList<>();
          ListObjectsV2Response page = s3.listObjectsV2(r -> r.bucket(bucket));
          for (S3Object o : page.contents()) keys.add(o.key());
          StringBuilder list = new StringBuilder("\"keys\":[");
          for (int i = 0; i < keys.size(); i++) list.append(i == 0 ? "" : ",").append(json(keys.get(i)));
          result = list.append(']').toString();
        } else {
          ResponseBytes<GetObjectResponse> object = s3.getObjectAsBytes(r -> r.bucket(bucket).key(key));
          result = "\"key\":" + json(key) + ",\"bytes\":" + object.asByteArray().length;
        }
        // After the request: the chain has resolved, and this returns what the request was signed with.
        AwsCredentials credentials = chain.resolveCredentials();
        String provider = credentials.providerName().orElse(null);
        out.append("\"provider\":").append(json(provider));
        out.append(",\"source\":[");
        if (provider != null) {
          String[] codes = provider.split(",");
          for (int i = 0; i < codes.length; i++) out.append(i == 0 ? "" : ",").append(json(feature(codes[i])));
        }
        out.append(']');
        out.append(",\"expiration\":").append(json(credentials.expirationTime().map(Object::toString).orElse(null)));
        out.append(",\"sessionToken\":").append(credentials instanceof AwsSessionCredentials);
        out.append(',').append(result).append('}');
      }
      System.out.println(out);
    } catch (RuntimeException e) {
      System.err.println("SdkList failed: " + describe(e));
      System.exit(1);
    }
  }

  /** The SDK's name for a business-metric code ("g" → CREDENTIALS_ENV_VARS), or the code itself. */
  static String feature(String code) {
    for (BusinessMetricFeatureId f : BusinessMetricFeatureId.values()) {
      if (f.value().equals(code)) return f.name();
    }
    return code;
  }

  /** The exception, its service error code and status when S3 answered, and its causes. */
  static String describe(Throwable e) {
    StringBuilder s = new StringBuilder(e.getClass().getName());
    if (e instanceof AwsServiceException) {
      AwsServiceException service = (AwsServiceException) e;
      if (service.awsErrorDetails() != null) s.append(" [").append(service.awsErrorDetails().errorCode()).append(']');
      s.append(" (HTTP ").append(service.statusCode()).append(')');
    }
    s.append(": ").append(e.getMessage());
    int depth = 0;
    for (Throwable c = e.getCause(); c != null && depth < 5; c = c.getCause(), depth++) {
      s.append(" | caused by ").append(c.getClass().getName()).append(": ").append(c.getMessage());
    }
    return s.toString().replace('\n', ' ');
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
