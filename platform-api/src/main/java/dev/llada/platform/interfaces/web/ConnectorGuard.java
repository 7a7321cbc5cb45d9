package dev.llada.platform.interfaces.web;

import dev.llada.platform.interfaces.rest.dto.ErrorEnvelope;
import jakarta.servlet.ServletContextEvent;
import jakarta.servlet.ServletContextListener;
import jakarta.servlet.annotation.WebListener;
import java.io.IOException;
import java.lang.reflect.Method;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.logging.Level;
import java.util.logging.Logger;
import org.glassfish.grizzly.Connection;
import org.glassfish.grizzly.EmptyCompletionHandler;
import org.glassfish.grizzly.WriteResult;
import org.glassfish.grizzly.attributes.Attribute;
import org.glassfish.grizzly.filterchain.BaseFilter;
import org.glassfish.grizzly.filterchain.Filter;
import org.glassfish.grizzly.filterchain.FilterChain;
import org.glassfish.grizzly.filterchain.FilterChainContext;
import org.glassfish.grizzly.filterchain.NextAction;
import org.glassfish.grizzly.http.HttpContent;
import org.glassfish.grizzly.http.HttpRequestPacket;
import org.glassfish.grizzly.http.HttpResponsePacket;
import org.glassfish.grizzly.http.util.Header;
import org.glassfish.grizzly.memory.Buffers;

/**
 * Checks each request's path in Payara's HTTP connector, where Catalina's {@code CoyoteAdapter}
 * would refuse some paths with an empty body before any servlet filter runs (a NUL or backslash,
 * dot segments above the root) or fail on them (a malformed percent-escape: an empty 200 after
 * {@code AS-WEB-CORE-00037}). A Grizzly filter is put into the listener's chain just before the
 * HTTP server filter, and answers those requests itself, in the OpenAI envelope, with {@link
 * UriCheck}'s rules — the same the {@link EdgeFilter} applies.
 *
 * <p>The listener is reached through Payara's internal service locator (docs/adr/0005): there is no
 * configuration for a filter in an HTTP protocol chain. Every step is looked up by name; if one is
 * missing (another Payara release), the guard logs a warning and is not installed, and the
 * connector answers such requests as it did. The filter is removed when the application stops.
 */
@WebListener
public class ConnectorGuard implements ServletContextListener {

  private static final Logger LOG = Logger.getLogger(ConnectorGuard.class.getName());
  private static final String LISTENER = "http-listener";

  private FilterChain chain;
  private Filter guard;

  @Override
  public void contextInitialized(ServletContextEvent event) {
    try {
      chain = listenerChain();
      if (chain == null) {
        LOG.warning("connector guard not installed: no filter chain for " + LISTENER);
        return;
      }
      chain.removeIf(f -> f.getClass().getName().equals(Guard.class.getName())); // a redeploy
      int at = indexOf(chain, "org.glassfish.grizzly.http.server.HttpServerFilter");
      if (at < 0) {
        LOG.warning("connector guard not installed: no HttpServerFilter in " + chain);
        return;
      }
      guard = new Guard();
      chain.add(at, guard);
      LOG.info("connector guard installed in " + LISTENER);
    } catch (ReflectiveOperationException | RuntimeException | LinkageError e) {
      LOG.log(Level.WARNING, "connector guard not installed", e);
    }
  }

  @Override
  public void contextDestroyed(ServletContextEvent event) {
    if (chain != null && guard != null) {
      chain.remove(guard);
    }
  }

  /** Globals → GrizzlyService → the http-listener's proxy → its Grizzly listener → transport. */
  private static FilterChain listenerChain() throws ReflectiveOperationException {
    ClassLoader server = Thread.currentThread().getContextClassLoader();
    Class<?> globals = Class.forName("org.glassfish.internal.api.Globals", true, server);
    Object locator = globals.getMethod("getDefaultHabitat").invoke(null);
    Class<?> locatorType = Class.forName("org.glassfish.hk2.api.ServiceLocator", true, server);
    Method getService =
        locatorType.getMethod("getService", Class.class, java.lang.annotation.Annotation[].class);
    Method getAll =
        locatorType.getMethod(
            "getAllServices", Class.class, java.lang.annotation.Annotation[].class);
    Class<?> grizzlyServiceType =
        Class.forName("com.sun.enterprise.v3.services.impl.GrizzlyService", true, server);
    Object grizzlyService =
        getService.invoke(locator, grizzlyServiceType, new java.lang.annotation.Annotation[0]);
    Class<?> listenerType =
        Class.forName("org.glassfish.grizzly.config.dom.NetworkListener", true, server);
    for (Object listener :
        (List<?>) getAll.invoke(locator, listenerType, new java.lang.annotation.Annotation[0])) {
      if (!LISTENER.equals(listenerType.getMethod("getName").invoke(listener))) {
        continue;
      }
      Object proxy =
          grizzlyServiceType
              .getMethod("lookupNetworkProxy", listenerType)
              .invoke(grizzlyService, listener);
      if (proxy == null) {
        return null;
      }
      Object grizzly = proxy.getClass().getMethod("getUnderlyingListener").invoke(proxy);
      Object transport = grizzly.getClass().getMethod("getTransport").invoke(grizzly);
      Object processor = transport.getClass().getMethod("getProcessor").invoke(transport);
      return processor instanceof FilterChain c ? c : null;
    }
    return null;
  }

  private static int indexOf(FilterChain chain, String className) {
    for (int i = 0; i < chain.size(); i++) {
      if (chain.get(i).getClass().getName().equals(className)) {
        return i;
      }
    }
    return -1;
  }

  /**
   * The Grizzly filter: refuses a request whose path fails {@link UriCheck}, then closes. It checks
   * every message of a request (the head and each body chunk carry the same header), not the first
   * only: Grizzly recycles header objects across the requests of a connection, so "already seen"
   * cannot be told apart from "the next request" cheaply, and a check is a scan of the path.
   */
  static final class Guard extends BaseFilter {

    /** Set on a connection whose request was refused: what follows of it is dropped. */
    private final Attribute<Boolean> refused =
        org.glassfish.grizzly.Grizzly.DEFAULT_ATTRIBUTE_BUILDER.createAttribute(
            ConnectorGuard.class.getName() + ".refused");

    @Override
    public NextAction handleRead(FilterChainContext ctx) throws IOException {
      Connection<?> connection = ctx.getConnection();
      if (Boolean.TRUE.equals(refused.get(connection))) {
        return ctx.getStopAction();
      }
      if (!(ctx.getMessage() instanceof HttpContent content)
          || !(content.getHttpHeader() instanceof HttpRequestPacket request)) {
        return ctx.getInvokeAction();
      }
      String problem = UriCheck.connectorProblem(request.getRequestURI());
      if (problem == null) {
        return ctx.getInvokeAction();
      }
      refused.set(connection, true);
      byte[] body =
          ErrorEnvelope.of(400, "invalid_request", null, problem)
              .toJson()
              .getBytes(StandardCharsets.UTF_8);
      HttpResponsePacket response = request.getResponse();
      response.setStatus(400);
      response.setReasonPhrase("Bad Request");
      response.setContentType("application/json");
      response.setContentLength(body.length);
      response.setHeader(Header.Connection, "close");
      HttpContent answer =
          HttpContent.builder(response)
              .content(Buffers.wrap(ctx.getMemoryManager(), body))
              .last(true)
              .build();
      ctx.write(
          answer,
          new EmptyCompletionHandler<WriteResult>() {
            @Override
            public void completed(WriteResult result) {
              connection.closeSilently();
            }

            @Override
            public void failed(Throwable error) {
              connection.closeSilently();
            }
          });
      return ctx.getStopAction();
    }
  }
}
