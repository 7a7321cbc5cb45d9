package dev.llada.platform;

import static dev.llada.platform.ApiClient.createKey;
import static dev.llada.platform.ApiClient.createTenant;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.jboss.arquillian.container.test.api.Deployment;
import org.jboss.arquillian.container.test.api.RunAsClient;
import org.jboss.arquillian.junit5.ArquillianExtension;
import org.jboss.shrinkwrap.api.ShrinkWrap;
import org.jboss.shrinkwrap.api.spec.WebArchive;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Issue #16, item 6: the serving metrics are on {@code /metrics} in Prometheus text, every one
 * named in docs/OPERATIONS.md, and they move as requests run.
 */
@ExtendWith(ArquillianExtension.class)
@RunAsClient
class MetricsIT {

  private static final String MODEL = "llada-tiny-instruct";

  @Deployment(testable = false)
  static WebArchive deployment() throws IOException {
    ItDatabase.start();
    return ShrinkWrap.createFromZipFile(
        WebArchive.class, new File(System.getProperty("platform.war", "target/platform-api.war")));
  }

  private static String metrics() throws Exception {
    HttpResponse<String> r =
        ApiClient.HTTP.send(
            HttpRequest.newBuilder(URI.create(ApiClient.BASE + "/metrics"))
                .header("Accept", "text/plain")
                .timeout(Duration.ofSeconds(10))
                .build(),
            HttpResponse.BodyHandlers.ofString());
    assertEquals(200, r.statusCode(), r.body());
    return r.body();
  }

  /** The value of the first sample of {@code name} whose labels contain {@code labels}. */
  private static double sample(String text, String name, String labels) {
    Matcher m =
        Pattern.compile("(?m)^" + Pattern.quote(name) + "\\{([^}]*)\\}\\s+([0-9.eE+-]+|NaN)")
            .matcher(text);
    while (m.find()) {
      if (m.group(1).contains(labels)) {
        return Double.parseDouble(m.group(2));
      }
    }
    return -1;
  }

  @Test
  void theServingMetricsArePresentAndMove() throws Exception {
    createTenant("metered", null, "INSTRUCT");
    ApiClient tenant = new ApiClient(createKey("metered", null));
    String chat =
        "{\"model\":\"" + MODEL + "\",\"prompt\":\"sort 321:\",\"max_tokens\":8,\"steps\":8}";
    assertEquals(200, tenant.post("/v1/completions", chat).statusCode());
    Thread.sleep(6_000); // the gauges are refreshed every 5 s
    String before = metrics();
    double success = sample(before, "llada_requests_total", "outcome=\"success\"");
    assertTrue(success >= 1, before);
    for (String name :
        new String[] {
          "llada_queue_seconds_count", "llada_step_seconds_count", "llada_batch_positions_count",
        }) {
      assertTrue(sample(before, name, "model=\"" + MODEL + "\"") >= 1, name + " in\n" + before);
    }
    assertTrue(sample(before, "llada_resident_model_bytes", "device=\"cpu\"") > 0, before);
    assertTrue(sample(before, "llada_reservations", "state=\"held\"") >= 0, before);
    assertTrue(sample(before, "llada_reservations", "state=\"overdue\"") >= 0, before);
    assertTrue(sample(before, "llada_live_requests", "") >= 0, before);
    double steps = sample(before, "llada_step_seconds_count", "model=\"" + MODEL + "\"");
    assertEquals(200, tenant.post("/v1/completions", chat).statusCode());
    String after = metrics();
    assertEquals(success + 1, sample(after, "llada_requests_total", "outcome=\"success\""));
    assertTrue(
        sample(after, "llada_step_seconds_count", "model=\"" + MODEL + "\"") >= steps + 8,
        "eight more steps");
  }
}
