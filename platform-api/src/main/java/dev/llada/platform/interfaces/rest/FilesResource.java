package dev.llada.platform.interfaces.rest;

import dev.llada.platform.application.FileService;
import dev.llada.platform.application.RequestContext;
import dev.llada.platform.application.StoredFile;
import dev.llada.platform.domain.Caller;
import dev.llada.platform.domain.InvalidRequestException;
import jakarta.enterprise.context.RequestScoped;
import jakarta.inject.Inject;
import jakarta.json.Json;
import jakarta.json.JsonArrayBuilder;
import jakarta.json.JsonObject;
import jakarta.json.JsonValue;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.DELETE;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.EntityPart;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import jakarta.ws.rs.core.StreamingOutput;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Optional;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;

/**
 * OpenAI's Files API, tenant-scoped (ARCHITECTURE.md, "Files"; docs/API.md): {@code POST /v1/files}
 * takes a {@code multipart/form-data} upload with the parts {@code file} (with a filename) and
 * {@code purpose}; list, retrieve, content and delete answer the caller's tenant's files only —
 * another tenant's file id is answered 404, as if there were none. The policy is {@link
 * FileService}'s; the edge spools and caps the upload ({@code EdgeFilter}).
 */
@Path("files")
@RequestScoped
@Tag(name = "Files")
public class FilesResource {

  /** The form parts an upload may have. */
  static final List<String> PARTS = List.of("file", "purpose");

  @Inject FileService files;
  @Inject RequestContext context;

  @POST
  @Consumes(MediaType.MULTIPART_FORM_DATA)
  @Produces(MediaType.APPLICATION_JSON)
  @Operation(summary = "Upload a file (multipart: file, purpose)")
  public Response upload(List<EntityPart> parts) throws IOException {
    try {
      return upload(tenantCaller(), parts);
    } finally {
      parts.forEach(FilesResource::cleanup);
    }
  }

  /**
   * Deletes the temporary file the multipart reader may have buffered a part in: Jersey's
   * EntityPart reader does not (its parts' {@code cleanup()} is Jersey's own API, called here by
   * name so that the module needs no Jersey at compile time).
   */
  private static void cleanup(EntityPart part) {
    try {
      part.getClass().getMethod("cleanup").invoke(part);
    } catch (ReflectiveOperationException | RuntimeException e) {
      // not a Jersey part, or nothing to clean: the container's own temporary files then
    }
  }

  private Response upload(Caller caller, List<EntityPart> parts) throws IOException {
    EntityPart file = null;
    String purpose = null;
    for (EntityPart part : parts) {
      String name = part.getName();
      if (name == null) {
        throw new InvalidRequestException(
            "invalid_multipart", null, "Every part needs a Content-Disposition with a name.");
      }
      if (!PARTS.contains(name)) {
        throw new InvalidRequestException(
            "unsupported_parameter",
            name,
            "The upload has a part '"
                + FileService.printable(name)
                + "'; it takes only "
                + PARTS
                + ".");
      }
      if (name.equals("file") ? file != null : purpose != null) {
        throw new InvalidRequestException(
            "invalid_request", name, "The upload has more than one '" + name + "' part.");
      }
      if (name.equals("file")) {
        file = part;
      } else {
        try (InputStream in = part.getContent()) {
          byte[] value = in.readNBytes(101);
          if (value.length > 100) {
            throw new InvalidRequestException(
                "invalid_purpose", "purpose", "purpose has more than 100 bytes.");
          }
          purpose = new String(value, StandardCharsets.UTF_8).strip();
        }
      }
    }
    if (file == null) {
      throw new InvalidRequestException(
          "missing_file", "file", "file is required: a form part with a filename.");
    }
    Optional<String> filename = file.getFileName().map(FilesResource::utf8);
    try (InputStream in = file.getContent()) {
      StoredFile stored = files.upload(caller.tenantId(), filename.orElse(null), purpose, in);
      return Response.ok(object(stored), MediaType.APPLICATION_JSON_TYPE).build();
    }
  }

  /**
   * Any other body: 415. A method of its own, so that the request is matched and authenticated
   * first (a {@code @Consumes} mismatch alone is answered while matching, before authentication).
   */
  @POST
  @Consumes(MediaType.WILDCARD)
  @Produces(MediaType.APPLICATION_JSON)
  @Operation(hidden = true)
  public Response notMultipart() {
    tenantCaller();
    throw new jakarta.ws.rs.NotSupportedException();
  }

  @GET
  @Produces(MediaType.APPLICATION_JSON)
  @Operation(summary = "List your tenant's files")
  public JsonObject list(
      @QueryParam("purpose") String purpose,
      @QueryParam("after") String after,
      @QueryParam("limit") String limit,
      @QueryParam("order") String order) {
    Caller caller = tenantCaller();
    Integer n = null;
    if (limit != null) {
      try {
        n = Integer.valueOf(limit.strip());
      } catch (NumberFormatException e) {
        throw new InvalidRequestException(
            "limit", "limit must be an integer between 1 and " + FileService.MAX_LIST + ".");
      }
    }
    FileService.Page page = files.list(caller.tenantId(), purpose, after, n, order);
    JsonArrayBuilder data = Json.createArrayBuilder();
    page.files().forEach(f -> data.add(object(f)));
    List<StoredFile> list = page.files();
    return Json.createObjectBuilder()
        .add("object", "list")
        .add("data", data)
        .add("first_id", list.isEmpty() ? JsonValue.NULL : Json.createValue(list.get(0).id()))
        .add(
            "last_id",
            list.isEmpty() ? JsonValue.NULL : Json.createValue(list.get(list.size() - 1).id()))
        .add("has_more", page.hasMore())
        .build();
  }

  @GET
  @Path("{file_id}")
  @Produces(MediaType.APPLICATION_JSON)
  @Operation(summary = "Retrieve a file's metadata")
  public JsonObject retrieve(@PathParam("file_id") String id) {
    return object(files.get(tenantCaller().tenantId(), id));
  }

  // any Accept: openai-python asks for application/binary, others for */* or octet-stream
  @GET
  @Path("{file_id}/content")
  @Produces(MediaType.WILDCARD)
  @Operation(summary = "Download a file's bytes")
  public Response content(@PathParam("file_id") String id) {
    StoredFile f = files.get(tenantCaller().tenantId(), id);
    StreamingOutput body = out -> files.content(f, out);
    return Response.ok(body, MediaType.APPLICATION_OCTET_STREAM_TYPE)
        .header("Content-Length", f.bytes())
        .header("Content-Disposition", disposition(f.filename()))
        .header("ETag", "\"" + f.sha256() + "\"")
        .build();
  }

  @DELETE
  @Path("{file_id}")
  @Produces(MediaType.APPLICATION_JSON)
  @Operation(summary = "Delete a file")
  public JsonObject delete(@PathParam("file_id") String id) {
    files.delete(tenantCaller().tenantId(), id);
    return Json.createObjectBuilder()
        .add("id", id)
        .add("object", "file")
        .add("deleted", true)
        .build();
  }

  /** Files are a tenant's: the platform's own callers (master key, platform-admin) have none. */
  private Caller tenantCaller() {
    Caller caller = context.caller();
    if (caller.isAdmin() || caller.tenantId() == null) {
      throw new InvalidRequestException(
          "tenant_required", null, "Files belong to a tenant; call with a tenant's key or token.");
    }
    return caller;
  }

  /** OpenAI's file object, with the content's sha256 (files are content-addressed). */
  static JsonObject object(StoredFile f) {
    return Json.createObjectBuilder()
        .add("id", f.id())
        .add("object", "file")
        .add("bytes", f.bytes())
        .add("created_at", f.createdAt().getEpochSecond())
        .add("expires_at", JsonValue.NULL)
        .add("filename", f.filename())
        .add("purpose", f.purpose())
        .add("status", "processed")
        .add("sha256", f.sha256())
        .build();
  }

  /**
   * The name as the client wrote it: browsers and the SDKs send a form part's filename as raw
   * UTF-8, which the multipart reader decodes as ISO-8859-1; re-read as UTF-8 where that is what it
   * is.
   */
  static String utf8(String name) {
    if (name.chars().anyMatch(c -> c > 0xff) || name.chars().noneMatch(c -> c > 0x7f)) {
      return name;
    }
    try {
      return StandardCharsets.UTF_8
          .newDecoder()
          .decode(java.nio.ByteBuffer.wrap(name.getBytes(StandardCharsets.ISO_8859_1)))
          .toString();
    } catch (java.nio.charset.CharacterCodingException notUtf8) {
      return name;
    }
  }

  /** {@code attachment} with an ASCII fallback and the RFC 5987 UTF-8 name. */
  static String disposition(String filename) {
    String ascii = filename.replaceAll("[^\\x20-\\x7e]|[\"\\\\]", "_");
    String encoded =
        java.net.URLEncoder.encode(filename, StandardCharsets.UTF_8)
            .replace("+", "%20")
            .replace("*", "%2A"); // RFC 5987's attr-char has no '*'; URLEncoder leaves it
    return "attachment; filename=\"" + ascii + "\"; filename*=UTF-8''" + encoded;
  }
}
