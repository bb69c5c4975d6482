import { Op, QueryTypes } from 'sequelize';
import { AgentSocket } from '../../db/models';
import type { RoutingRuntime } from './runtime';
import { revokeOffersOf } from './setPresence';

/**
 * Console sockets per agent, in the database so that every server process agrees on who is connected. An agent
 * whose sockets are all gone for longer than the grace period loses their pending offers (never their cases).
 */
export async function socketConnected(r: RoutingRuntime, s: { socketId: string; agentId: number; processId: string; namespace: string }): Promise<void> {
  const now = new Date();
  await AgentSocket.upsert({ socketId: s.socketId, agentId: s.agentId, processId: s.processId, namespace: s.namespace, connectedAt: now, heartbeatAt: now });
  await r.ctx.db.sequelize.query('UPDATE agents SET disconnectedAt = NULL WHERE id = :id AND disconnectedAt IS NOT NULL', { replacements: { id: s.agentId } });
  r.ctx.events.emit('agent.changed', { agentId: s.agentId });
}

/** A socket went away; when it was the agent's last live one, the disconnect clock starts. */
export async function socketDisconnected(r: RoutingRuntime, s: { socketId: string; agentId: number }): Promise<void> {
  await AgentSocket.destroy({ where: { socketId: s.socketId } });
  await markIfGone(r, [s.agentId]);
  r.ctx.events.emit('agent.changed', { agentId: s.agentId });
}

/** Refreshes the heartbeat of this process's sockets. */
export async function heartbeat(r: RoutingRuntime, processId: string): Promise<void> {
  await AgentSocket.update({ heartbeatAt: new Date() }, { where: { processId } });
}

/** Removes sockets of processes that stopped heart-beating (crashed), starting their agents' disconnect clocks. */
export async function sweepDeadSockets(r: RoutingRuntime): Promise<number> {
  const cutoff = new Date(Date.now() - 3 * r.settings.heartbeatMs);
  const dead = await AgentSocket.findAll({ where: { heartbeatAt: { [Op.lt]: cutoff } }, attributes: ['socketId', 'agentId'] });
  if (!dead.length) return 0;
  await AgentSocket.destroy({ where: { socketId: { [Op.in]: dead.map((d) => d.socketId) }, heartbeatAt: { [Op.lt]: cutoff } } });
  await markIfGone(r, [...new Set(dead.map((d) => d.agentId))]);
  return dead.length;
}

async function markIfGone(r: RoutingRuntime, agentIds: number[]): Promise<void> {
  for (const agentId of agentIds) {
    // Conditional: a socket that connected meanwhile (any process) keeps the agent connected.
    await r.ctx.db.sequelize.query(
      `UPDATE agents SET disconnectedAt = :now WHERE id = :agentId AND disconnectedAt IS NULL
         AND NOT EXISTS (SELECT 1 FROM agent_sockets s WHERE s.agentId = :agentId)`,
      { replacements: { agentId, now: new Date() } },
    );
  }
}

/** Agents disconnected for longer than the grace period who still hold pending offers: revoke them. */
export async function revokeOffersOfDisconnected(r: RoutingRuntime): Promise<number> {
  const cutoff = new Date(Date.now() - r.settings.disconnectGraceMs);
  const rows = await r.ctx.db.sequelize.query<{ agentId: number }>(
    `SELECT DISTINCT o.agentId AS agentId FROM offers o JOIN agents a ON a.id = o.agentId
      WHERE o.state = 'pending' AND a.disconnectedAt IS NOT NULL AND a.disconnectedAt < :cutoff`,
    { replacements: { cutoff }, type: QueryTypes.SELECT },
  );
  let n = 0;
  for (const row of rows) n += await revokeOffersOf(r, Number(row.agentId), 'disconnected');
  // Offers to agents who left `available` by another path (an admin edit, a deactivation).
  const stray = await r.ctx.db.sequelize.query<{ agentId: number }>(
    `SELECT DISTINCT o.agentId AS agentId FROM offers o JOIN agents a ON a.id = o.agentId
      WHERE o.state = 'pending' AND (a.presence <> 'available' OR a.active = 0)`,
    { type: QueryTypes.SELECT },
  );
  for (const row of stray) n += await revokeOffersOf(r, Number(row.agentId), 'presence');
  return n;
}

/** Which of these agents have a live console socket (in any process). */
export async function connectedAgents(agentIds: number[]): Promise<Set<number>> {
  if (!agentIds.length) return new Set();
  const rows = await AgentSocket.findAll({ where: { agentId: { [Op.in]: agentIds } }, attributes: ['agentId'] });
  return new Set(rows.map((r) => r.agentId));
}

