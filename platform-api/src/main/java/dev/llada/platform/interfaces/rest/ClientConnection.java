package dev.llada.platform.interfaces.rest;

import jakarta.servlet.http.HttpServletRequest;
import java.lang.reflect.Field;
import java.lang.reflect.Method;
import java.util.function.BooleanSupplier;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Whether the client of a streaming response is still connected. On Payara Micro a write to a
 * connection the client has closed neither fails nor blocks (Grizzly's write queue drops it), so
 * the platform asks the Grizzly connection under the servlet request directly: RequestFacade →
 * catalina Request ({@code getCoyoteRequest()}) → Grizzly Request → its connection's {@code
 * isOpen()}. Anywhere else (another container, a changed internal) this says "open" and disconnects
 * are noticed by failed writes only, which is what the servlet API offers.
 */
final class ClientConnection {

  private static final Logger LOG = Logger.getLogger(ClientConnection.class.getName());

  private ClientConnection() {}

  /** True while the connection behind {@code request} is open (or cannot be inspected). */
  static BooleanSupplier open(HttpServletRequest proxy) {
    try {
      Object request =
          proxy.getAttribute(dev.llada.platform.interfaces.web.RequestCapture.ATTRIBUTE);
      if (request == null) {
        throw new NoSuchFieldException("no captured request");
      }
      Object catalina = field(request, "request");
      Object grizzly = call(catalina, "getCoyoteRequest");
      Object connection = call(grizzly, "getConnection");
      Method isOpen = connection.getClass().getMethod("isOpen");
      isOpen.setAccessible(true);
      return () -> {
        try {
          return (Boolean) isOpen.invoke(connection);
        } catch (ReflectiveOperationException | RuntimeException e) {
          return true;
        }
      };
    } catch (ReflectiveOperationException | RuntimeException e) {
      LOG.log(Level.FINE, "cannot inspect the client connection; relying on write failures", e);
      return () -> true;
    }
  }

  private static Object field(Object o, String name) throws ReflectiveOperationException {
    for (Class<?> c = o.getClass(); c != null; c = c.getSuperclass()) {
      try {
        Field f = c.getDeclaredField(name);
        f.setAccessible(true);
        return f.get(o);
      } catch (NoSuchFieldException next) {
        // look in the superclass
      }
    }
    throw new NoSuchFieldException(name);
  }

  private static Object call(Object o, String method) throws ReflectiveOperationException {
    Method m = o.getClass().getMethod(method);
    m.setAccessible(true);
    Object result = m.invoke(o);
    if (result == null) {
      throw new NoSuchFieldException(method + " returned null");
    }
    return result;
  }
}
