import type { Conversation } from '../../db/models';
import type { SlaPolicy } from '../../db/models';

type CaseFacts = Pick<Conversation, 'categoryId' | 'channel' | 'priority' | 'legalBasis'>;
type PolicyCriteria = Pick<SlaPolicy, 'id' | 'active' | 'categoryId' | 'channel' | 'priority' | 'legalBasis'>;

/**
 * The policy for a case: among active policies whose set criteria all match (null matches anything; `priority`
 * matches cases of at least that priority), the most specific wins — category weighs most, then legal basis,
 * channel, priority; a tie goes to the lowest id (the older policy), so the choice is stable.
 */
export function matchPolicy<P extends PolicyCriteria>(policies: readonly P[], c: CaseFacts): P | null {
  let best: P | null = null;
  let bestScore = -1;
  for (const p of policies) {
    if (!p.active) continue;
    if (p.categoryId !== null && p.categoryId !== c.categoryId) continue;
    if (p.channel !== null && p.channel !== c.channel) continue;
    if (p.legalBasis !== null && p.legalBasis !== c.legalBasis) continue;
    if (p.priority !== null && c.priority < p.priority) continue;
    const score = (p.categoryId !== null ? 8 : 0) + (p.legalBasis !== null ? 4 : 0) + (p.channel !== null ? 2 : 0) + (p.priority !== null ? 1 : 0);
    if (score > bestScore || (score === bestScore && best && p.id < best.id)) {
      best = p;
      bestScore = score;
    }
  }
  return best;
}
