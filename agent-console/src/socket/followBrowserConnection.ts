/** The part of a socket.io client socket this needs. */
interface ConnectableSocket {
  readonly connected: boolean;
  connect(): unknown;
  disconnect(): unknown;
}

/**
 * Connects `socket` now (or reports offline) and follows the browser's own offline/online events: the browser
 * knows a cut long before socket.io's heartbeat does (tens of seconds), so the screen says so at once and the
 * socket comes back when the network does. Returns the function that stops following and disconnects.
 */
export function followBrowserConnection(socket: ConnectableSocket, onOffline: () => void): () => void {
  const offline = () => {
    onOffline();
    socket.disconnect();
  };
  const online = () => {
    if (!socket.connected) socket.connect();
  };
  window.addEventListener('offline', offline);
  window.addEventListener('online', online);
  if (navigator.onLine) socket.connect();
  else onOffline();
  return () => {
    window.removeEventListener('offline', offline);
    window.removeEventListener('online', online);
    socket.disconnect();
  };
}
