import { useQueryClient } from '@tanstack/react-query';
import { useEffect, useState } from 'react';
import { io } from 'socket.io-client';
import type { Ack, WallboardBoardView, WallboardClientSocket } from '../../../server/realtime/contract';
import { followBrowserConnection } from '../socket/followBrowserConnection';

/** `live` while the /wallboard socket is connected and has delivered a board since it (re)connected. */
export type WallboardConnection = 'connecting' | 'live' | 'offline';

/** The react-query key of the board: the socket writes into it, the HTTP fallback reads into it. */
export const WALLBOARD_KEY = ['wallboard'] as const;

/**
 * Subscribes to the `/wallboard` namespace: every pushed board (`wallboard.updated`) replaces the cached one, and
 * after each (re)connect the current board is asked for at once (`wallboard.board`) so the screen is never shown as
 * live with figures from before the gap. Returns the connection state and the server's longest gap between pushes.
 */
export function useWallboardSocket(): { connection: WallboardConnection; maxAgeMs: number } {
  const qc = useQueryClient();
  const [connection, setConnection] = useState<WallboardConnection>('connecting');
  const [maxAgeMs, setMaxAgeMs] = useState(5_000);

  useEffect(() => {
    const socket: WallboardClientSocket = io('/wallboard', { withCredentials: true, autoConnect: false, reconnectionDelay: 500, reconnectionDelayMax: 5_000 });
    const put = (board: WallboardBoardView) => {
      // Boards computed by different processes may arrive out of order: keep the newest.
      qc.setQueryData<WallboardBoardView>(WALLBOARD_KEY, (old) => (old && old.at > board.at ? old : board));
    };
    socket.on('connect', () => {
      socket.timeout(10_000).emit('wallboard.board', {}, (err: Error | null, ack: Ack<WallboardBoardView>) => {
        if (err || !ack?.ok) return; // the next push (at most a few seconds) brings it
        put(ack.data);
        if (socket.connected) setConnection('live');
      });
    });
    socket.on('wallboard.updated', (p) => {
      put(p.board);
      setMaxAgeMs(p.maxAgeMs);
      if (socket.connected) setConnection('live');
    });
    socket.on('disconnect', () => setConnection('offline'));
    socket.on('connect_error', () => setConnection('offline'));
    const stopFollowing = followBrowserConnection(socket, () => setConnection('offline'));
    return () => {
      socket.removeAllListeners();
      stopFollowing();
    };
  }, [qc]);

  return { connection, maxAgeMs };
}
