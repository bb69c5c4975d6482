import { Op, UniqueConstraintError } from 'sequelize';
import { z } from 'zod';
import { LANGUAGES } from '../../channels/contract';
import { Agent, AgentDepartment, Department } from '../../db/models';
import { DEFAULT_CAPACITY, ROLES } from '../../db/models/Agent';
import type { AppContext } from '../context';
import { conflict, validationError } from '../errors';
import { MAX_PASSWORD_LENGTH, hashPassword } from './password';

/** Shortest password accepted for a console account. */
export const MIN_PASSWORD_LENGTH = 10;

/** What it takes to create a console account. */
export const CreateAgentSchema = z.object({
  email: z.string().trim().toLowerCase().max(320).email('must be an email address'),
  name: z.string().trim().min(1, 'is required').max(200),
  role: z.enum(ROLES, { message: `must be one of ${ROLES.join(', ')}` }),
  password: z
    .string()
    .min(MIN_PASSWORD_LENGTH, `must be at least ${MIN_PASSWORD_LENGTH} characters`)
    .max(MAX_PASSWORD_LENGTH, `must be at most ${MAX_PASSWORD_LENGTH} characters`),
  /** Codes of the departments (queues) the agent serves. */
  departments: z.array(z.string().trim().min(1)).max(100).default([]),
  /** Serves every queue, including the general one, with no department restriction. */
  allDepartments: z.boolean().default(false),
  languages: z.array(z.enum(LANGUAGES)).min(1).default(['ro']),
});
export type CreateAgentProps = z.input<typeof CreateAgentSchema>;

/**
 * Creates an agent, supervisor or administrator with a hashed password and their departments, in one
 * transaction. Throws validation_failed for a bad field or an unknown department, and email_taken when the
 * email already has an account.
 */
export async function createAgent(ctx: AppContext, props: CreateAgentProps): Promise<Agent> {
  const parsed = CreateAgentSchema.safeParse(props);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw validationError(issue.path.join('.') || 'agent', issue.message);
  }
  const input = parsed.data;
  // Hash outside the transaction: it is the slow part and needs no lock.
  const passwordHash = await hashPassword(input.password);
  const codes = [...new Set(input.departments)];

  try {
    return await ctx.db.transaction(async (transaction) => {
      const departments = codes.length ? await Department.findAll({ where: { code: { [Op.in]: codes } }, transaction }) : [];
      const missing = codes.filter((c) => !departments.some((d) => d.code === c));
      if (missing.length) throw validationError('departments', `unknown department code(s): ${missing.join(', ')}`);
      if (await Agent.findOne({ where: { email: input.email }, transaction })) throw emailTaken(input.email);
      const agent = await Agent.create(
        {
          email: input.email,
          name: input.name,
          passwordHash,
          role: input.role,
          languages: input.languages,
          capacity: DEFAULT_CAPACITY,
          allDepartments: input.allDepartments,
          presenceChangedAt: null,
          lastOfferAt: null,
          lockedUntil: null,
          lastLoginAt: null,
        },
        { transaction },
      );
      if (departments.length) {
        await AgentDepartment.bulkCreate(departments.map((d) => ({ agentId: agent.id, departmentId: d.id })), { transaction });
      }
      return agent;
    });
  } catch (err) {
    // Two creations of the same email at once: the unique index decides.
    if (err instanceof UniqueConstraintError) throw emailTaken(input.email);
    throw err;
  }
}

const emailTaken = (email: string) => conflict(`An account with the email ${email} already exists; choose another email or change the existing account.`, 'email_taken');
