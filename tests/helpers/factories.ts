import { randomUUID } from 'node:crypto';
import type { InboundContact } from '../../channels/contract';
import { Agent, AgentDepartment, Category, Department } from '../../db/models';

/** An inbound contact with sensible defaults and a unique externalId. */
export function contact(overrides: Partial<InboundContact> = {}): InboundContact {
  return {
    channel: 'api',
    externalId: `ext-${randomUUID()}`,
    from: { name: 'Ioana Popescu', email: `ioana.${randomUUID().slice(0, 8)}@exemplu.ro` },
    subject: 'Groapă în carosabil pe strada Mărășești',
    text: 'Bună ziua, pe strada Mărășești nr. 12 este o groapă mare în carosabil.',
    ...overrides,
  };
}

/** A department, created if missing. */
export async function department(code = 'drumuri'): Promise<Department> {
  const [d] = await Department.findOrCreate({ where: { code }, defaults: { code, nameRo: `Direcția ${code}`, nameEn: `${code} department`, email: null } });
  return d;
}

/** A category (and its department), created if missing. */
export async function category(code = 'drumuri-gropi', opts: Partial<{ legalBasis: Category['legalBasis']; departmentCode: string; locationBased: boolean }> = {}): Promise<Category> {
  const dept = await department(opts.departmentCode ?? 'drumuri');
  const [c] = await Category.findOrCreate({
    where: { code },
    defaults: {
      code,
      nameRo: 'Drumuri, străzi, gropi în carosabil',
      nameEn: 'Roads, potholes',
      groupCode: 'drumuri',
      descriptionRo: null,
      descriptionEn: null,
      keywords: null,
      departmentId: dept.id,
      locationBased: opts.locationBased ?? true,
      legalBasis: opts.legalBasis ?? 'petition',
    },
  });
  return c;
}

/** An agent (no usable password) with presence, departments, languages and capacity as given. */
export async function agent(
  opts: Partial<{ name: string; role: Agent['role']; presence: Agent['presence']; allDepartments: boolean; departmentIds: number[]; languages: Agent['languages']; capacity: Agent['capacity'] }> = {},
): Promise<Agent> {
  const id = randomUUID().slice(0, 8);
  const a = await Agent.create({
    email: `agent.${id}@primarie.test`,
    name: opts.name ?? `Agent ${id}`,
    passwordHash: 'x',
    role: opts.role ?? 'agent',
    presence: opts.presence ?? 'offline',
    presenceChangedAt: new Date(),
    allDepartments: opts.allDepartments ?? false,
    languages: opts.languages ?? ['ro'],
    capacity: opts.capacity ?? { voice: 1, sms: 4, email: 5, portal: 5, letter: 5, api: 5 },
    lastOfferAt: null,
    lockedUntil: null,
    lastLoginAt: null,
  });
  for (const departmentId of opts.departmentIds ?? []) await AgentDepartment.create({ agentId: a.id, departmentId });
  return a;
}
