/// The HTTP and websocket service.
public enum MatchwireServerModule {}
