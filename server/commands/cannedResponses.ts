import { Op, UniqueConstraintError } from 'sequelize';
import type { Language } from '../../channels/contract';
import { CannedResponse, Category, Citizen, Department } from '../../db/models';
import { canSee } from '../auth/visibility';
import { bucharestDate } from '../calendar/dates';
import type { AppContext } from '../context';
import { conflict, notFound, validationError } from '../errors';
import { Conversation } from '../../db/models';
import type { Actor } from './actor';
import { formatDate, renderTemplate, TEMPLATE_VARIABLES, unknownVariables } from './renderTemplate';

export interface CannedResponseInput {
  title: string;
  body: string;
  language: Language;
  shortcut?: string | null;
  departmentId?: number | null;
  active?: boolean;
}

function checkBody(body: string): void {
  const unknown = unknownVariables(body);
  if (unknown.length) {
    throw validationError('body', `uses unknown variables ${unknown.map((u) => `{{${u}}}`).join(', ')}; known: ${TEMPLATE_VARIABLES.map((v) => `{{${v}}}`).join(', ')}`);
  }
}

async function checkDepartment(departmentId: number | null | undefined): Promise<void> {
  if (departmentId === null || departmentId === undefined) return;
  if (!(await Department.findByPk(departmentId))) throw validationError('departmentId', `is not a department: ${departmentId}`);
}

async function saveUnique<T>(fn: () => Promise<T>, shortcut: string | null | undefined): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof UniqueConstraintError) throw conflict(`The shortcut "${shortcut}" is already used by another canned response; choose another.`, 'shortcut_taken');
    throw err;
  }
}

/** Creates a canned response (supervisors and administrators; the route checks the role). */
export async function createCannedResponse(_ctx: AppContext, actor: Actor, input: CannedResponseInput): Promise<CannedResponse> {
  checkBody(input.body);
  await checkDepartment(input.departmentId);
  return saveUnique(
    () =>
      CannedResponse.create({
        title: input.title,
        body: input.body,
        language: input.language,
        shortcut: input.shortcut ?? null,
        departmentId: input.departmentId ?? null,
        active: input.active ?? true,
        createdById: actor.agent.id,
        updatedById: actor.agent.id,
      }),
    input.shortcut,
  );
}

/** Changes a canned response; only the fields given. */
export async function updateCannedResponse(_ctx: AppContext, actor: Actor, id: number, input: Partial<CannedResponseInput>): Promise<CannedResponse> {
  const row = await CannedResponse.findByPk(id);
  if (!row) throw notFound('The canned response');
  if (input.body !== undefined) checkBody(input.body);
  await checkDepartment(input.departmentId);
  row.set({ ...input, updatedById: actor.agent.id });
  return saveUnique(() => row.save(), input.shortcut);
}

/** Deletes a canned response (sent replies keep their text; they only remember the id). */
export async function deleteCannedResponse(_ctx: AppContext, _actor: Actor, id: number): Promise<void> {
  const n = await CannedResponse.destroy({ where: { id } });
  if (!n) throw notFound('The canned response');
}

/** The canned responses an agent is offered: active ones (all for supervisors asking for inactive too), own department first. */
export async function listCannedResponses(actor: Actor, opts: { language?: Language; q?: string; includeInactive?: boolean }): Promise<CannedResponse[]> {
  const where: Record<string | symbol, unknown>[] = [];
  if (!opts.includeInactive) where.push({ active: true });
  if (opts.language) where.push({ language: opts.language });
  if (opts.q) {
    const like = `%${opts.q.replace(/[\\%_]/g, (x) => '\\' + x)}%`;
    where.push({ [Op.or]: [{ title: { [Op.like]: like } }, { shortcut: { [Op.like]: like } }, { body: { [Op.like]: like } }] });
  }
  const rows = await CannedResponse.findAll({ where: { [Op.and]: where }, order: [['title', 'ASC'], ['id', 'ASC']], limit: 500 });
  const mine = actor.scope.all ? [] : actor.scope.departmentIds;
  return rows.sort((a, b) => Number(mine.includes(b.departmentId ?? -1)) - Number(mine.includes(a.departmentId ?? -1)));
}

/** A canned response filled for one case: the citizen's name, the registration number, the legal due date… */
export async function renderCannedResponse(_ctx: AppContext, actor: Actor, props: { cannedResponseId: number; conversationId: number }): Promise<{ text: string; language: Language }> {
  const [row, c] = await Promise.all([CannedResponse.findByPk(props.cannedResponseId), Conversation.findByPk(props.conversationId)]);
  if (!row) throw notFound('The canned response');
  if (!c || !canSee(actor.scope, c)) throw notFound('The case');
  const [citizen, category, department] = await Promise.all([
    c.citizenId ? Citizen.findByPk(c.citizenId) : null,
    c.categoryId ? Category.findByPk(c.categoryId) : null,
    c.departmentId ? Department.findByPk(c.departmentId) : null,
  ]);
  const lang = row.language;
  const text = renderTemplate(
    row.body,
    {
      name: citizen?.name ?? null,
      registrationNumber: c.registrationNumber,
      registeredDate: formatDate(bucharestDate(c.registeredAt), lang),
      legalDueDate: formatDate(c.legalDueDate, lang),
      category: category ? (lang === 'ro' ? category.nameRo : category.nameEn) : null,
      department: department ? (lang === 'ro' ? department.nameRo : department.nameEn) : null,
      agentName: actor.agent.name,
    },
    lang,
  );
  return { text, language: lang };
}
