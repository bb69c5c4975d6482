/**
 * The other side of bench/routing, in a process of its own: the agents' sockets and the load generator, as
 * browsers and integrations are in production. The server under test then spends its CPU on serving only, and
 * its CPU per contact is measured apart. Driven over IPC by bench/routing.ts:
 *   → { type: 'start', plan }   ← { type: 'ready' }   → { type: 'go' }   ← { type: 'result', measure }   → { type: 'quit' }
 * The sockets stay connected until 'quit', so the server's figures for the run leave out the disconnects.
 */
import { Agent as HttpAgent, request } from 'node:http';
import { io as connect, type Socket } from 'socket.io-client';

export interface ClientPlan {
  /** The socket.io namespace URL the agents connect to. */
  socketUrl: string;
  /** Per agent socket: a query (the thinnest path) or a session cookie (Ghișeu). */
  sockets: { query?: Record<string, string>; cookie?: string }[];
  /** Where contacts are POSTed, with which headers. */
  postUrl: string;
  headers: Record<string, string>;
  rate: number;
  seconds: number;
  run: string;
}

export interface Measure {
  latencies: number[];
  errors: number;
  missing: number;
  sent: number;
}

const keepAlive = new HttpAgent({ keepAlive: true, maxSockets: 64 });

/** POSTs JSON; resolves with the status and the parsed body. */
function post(url: string, body: unknown, headers: Record<string, string>): Promise<{ status: number; json: { conversation?: { id: number } } }> {
  const data = Buffer.from(JSON.stringify(body));
  return new Promise((resolve, reject) => {
    const req = request(url, { method: 'POST', agent: keepAlive, headers: { 'content-type': 'application/json', 'content-length': String(data.length), ...headers } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        try {
          resolve({ status: res.statusCode ?? 0, json: JSON.parse(Buffer.concat(chunks).toString() || '{}') });
        } catch (err) {
          reject(err);
        }
      });
    });
    req.on('error', reject);
    req.end(data);
  });
}

export const contactFor = (run: string, i: number) => ({
  channel: 'api',
  externalId: `${run}-${i}`,
  from: { name: `Cetățean ${i}`, email: `cetatean.${run}.${i}@exemplu.ro` },
  subject: 'Sesizare iluminat public',
  text: 'Becul de pe stâlpul din fața blocului nu mai funcționează de o săptămână.',
});

async function connectAll(plan: ClientPlan, arrivals: Map<number, number>): Promise<Socket[]> {
  const sockets: Socket[] = [];
  for (const o of plan.sockets) {
    const s = connect(plan.socketUrl, { transports: ['websocket'], forceNew: true, reconnection: false, query: o.query, extraHeaders: o.cookie ? { cookie: o.cookie } : {} });
    s.on('offer.created', (p: { offer: { conversationId: number } }) => {
      if (!arrivals.has(p.offer.conversationId)) arrivals.set(p.offer.conversationId, performance.now());
    });
    await new Promise<void>((resolve, reject) => {
      s.once('connect', () => resolve());
      s.once('connect_error', reject);
    });
    sockets.push(s);
  }
  return sockets;
}

/**
 * Fires `rate` contacts a second for `seconds` (open loop: the schedule does not wait for answers) and matches
 * each to the first offer.created for its case.
 */
async function drive(plan: ClientPlan, send: (i: number) => Promise<number | null>, arrivals: Map<number, number>): Promise<Measure> {
  const total = Math.round(plan.rate * plan.seconds);
  const sentAt = new Map<number, number>();
  let errors = 0;
  const started = performance.now();
  const inflight: Promise<void>[] = [];
  for (let i = 0; i < total; i++) {
    const due = started + (i * 1000) / plan.rate;
    const wait = due - performance.now();
    if (wait > 1) await new Promise((r) => setTimeout(r, wait));
    const t0 = performance.now();
    inflight.push(
      send(i).then(
        (conversationId) => {
          if (conversationId === null) errors++;
          else sentAt.set(conversationId, t0);
        },
        () => void errors++,
      ),
    );
  }
  await Promise.all(inflight);
  const deadline = performance.now() + 10_000;
  while ([...sentAt.keys()].some((id) => !arrivals.has(id)) && performance.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  const latencies: number[] = [];
  let missing = 0;
  for (const [id, t0] of sentAt) {
    const at = arrivals.get(id);
    if (at === undefined) missing++;
    else latencies.push(at - t0);
  }
  return { latencies, errors, missing, sent: total };
}

async function main(plan: ClientPlan): Promise<void> {
  const arrivals = new Map<number, number>();
  const sockets = await connectAll(plan, arrivals);
  const send = async (i: number) => {
    const res = await post(plan.postUrl, contactFor(plan.run, i), plan.headers);
    return res.status === 201 && res.json.conversation ? res.json.conversation.id : null;
  };
  await send(-1); // warm-up
  process.send!({ type: 'ready' });
  await new Promise<void>((resolve) => process.once('message', () => resolve()));
  const measure = await drive(plan, send, arrivals);
  process.send!({ type: 'result', measure });
  await new Promise<void>((resolve) => process.once('message', () => resolve()));
  for (const s of sockets) s.close();
  keepAlive.destroy();
  process.exit(0);
}

if (process.send) {
  process.once('message', (m: { type: 'start'; plan: ClientPlan }) => {
    main(m.plan).catch((err: unknown) => {
      console.error(err);
      process.exit(1);
    });
  });
}
