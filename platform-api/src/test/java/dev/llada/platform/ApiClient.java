package dev.llada.platform;

import jakarta.json.Json;
import jakarta.json.JsonObject;
import java.io.IOException;
import java.io.StringReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;

/** A small HTTP client for the ITs: JSON in, JSON out, one bearer key. */
final class ApiClient {

  static final int HTTP_PORT = Integer.getInteger("it.http.port", 18081);
  static final String BASE = "http://127.0.0.1:" + HTTP_PORT;
  static final String MASTER_KEY = "it-master-key-0123456789";
  static final HttpClient HTTP =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  private final String key;

  ApiClient(String key) {
    this.key = key;
  }

  String key() {
    return key;
  }

  static ApiClient admin() {
    return new ApiClient(MASTER_KEY);
  }

  HttpResponse<String> get(String path) throws IOException, InterruptedException {
    return send(request(path).GET().build());
  }

  HttpResponse<String> post(String path, String json) throws IOException, InterruptedException {
    if (json.isEmpty()) {
      return send(request(path).POST(HttpRequest.BodyPublishers.noBody()).build());
    }
    return send(
        request(path)
            .header("Content-Type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofString(json))
            .build());
  }

  HttpResponse<String> patch(String path, String json) throws IOException, InterruptedException {
    return send(
        request(path)
            .header("Content-Type", "application/json")
            .method("PATCH", HttpRequest.BodyPublishers.ofString(json))
            .build());
  }

  HttpResponse<String> put(String path, String json) throws IOException, InterruptedException {
    return send(
        request(path)
            .header("Content-Type", "application/json")
            .PUT(HttpRequest.BodyPublishers.ofString(json))
            .build());
  }

  HttpResponse<String> delete(String path) throws IOException, InterruptedException {
    return send(request(path).DELETE().build());
  }

  HttpRequest.Builder request(String path) {
    HttpRequest.Builder b =
        HttpRequest.newBuilder(URI.create(BASE + path)).timeout(Duration.ofSeconds(120));
    if (key != null) {
      b.header("Authorization", "Bearer " + key);
    }
    return b;
  }

  private static HttpResponse<String> send(HttpRequest r) throws IOException, InterruptedException {
    return HTTP.send(r, HttpResponse.BodyHandlers.ofString());
  }

  static JsonObject json(HttpResponse<String> response) {
    return json(response.body());
  }

  static JsonObject json(String body) {
    try (var reader = Json.createReader(new StringReader(body))) {
      return reader.readObject();
    }
  }

  /** Creates a tenant entitled to {@code entitlements} with {@code limits} (JSON or null). */
  static void createTenant(String slug, String limits, String... entitlements)
      throws IOException, InterruptedException {
    StringBuilder e = new StringBuilder();
    for (String v : entitlements) {
      e.append(e.length() == 0 ? "" : ",").append('"').append(v).append('"');
    }
    HttpResponse<String> r =
        admin()
            .post(
                "/v1/admin/tenants",
                "{\"slug\":\""
                    + slug
                    + "\",\"display_name\":\"Tenant "
                    + slug
                    + "\",\"entitlements\":["
                    + e
                    + "]"
                    + (limits == null ? "" : ",\"limits\":" + limits)
                    + "}");
    if (r.statusCode() != 201) {
      throw new AssertionError("creating tenant " + slug + ": " + r.statusCode() + " " + r.body());
    }
  }

  /** A new API key of {@code slug}; returns the secret. */
  static String createKey(String slug, String extra) throws IOException, InterruptedException {
    HttpResponse<String> r =
        admin()
            .post(
                "/v1/admin/tenants/" + slug + "/keys",
                "{\"name\":\"it key\"" + (extra == null ? "" : "," + extra) + "}");
    if (r.statusCode() != 201) {
      throw new AssertionError("creating a key: " + r.statusCode() + " " + r.body());
    }
    return json(r).getString("secret");
  }
}
