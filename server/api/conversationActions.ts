import express, { type Router } from 'express';
import { requireAgent } from '../auth/sessions';
import { actorOf } from '../commands/actor';
import { addNote } from '../commands/addNote';
import { changeCategory } from '../commands/changeCategory';
import { changeDepartment } from '../commands/changeDepartment';
import { changeStatus } from '../commands/changeStatus';
import { joinConversations } from '../commands/joinConversations';
import { presentCaseState, presentWrittenMessage } from '../commands/presenters';
import { replyToConversation } from '../commands/replyToConversation';
import { CategorySchema, DepartmentSchema, IdParamsSchema, JoinSchema, NoteSchema, parseRequest, ReplySchema, StatusSchema, TransferSchema } from '../commands/schemas';
import { transfer } from '../commands/transfer';
import type { AppContext } from '../context';
import { Attachment, Conversation, Message } from '../../db/models';
import { canSee } from '../auth/visibility';
import { forbidden, notFound } from '../errors';
import { isOriginalScan, mayViewOriginalScan } from './letterView';

/**
 * The agents' write commands on a case, under /api/v1/conversations/:id/… Each route validates, builds the
 * actor, runs one command and answers with a presenter's view. The session (and its CSRF check for every
 * POST) is read by the API router; requireAgent refuses anonymous requests.
 */
export function conversationActionsRouter(ctx: AppContext): Router {
  const router = express.Router();
  router.use(requireAgent);

  router.post('/:id/replies', async (req, res) => {
    const { id } = parseRequest(IdParamsSchema, req.params);
    const body = parseRequest(ReplySchema, req.body);
    const r = await replyToConversation(ctx, await actorOf(req.agent!), { conversationId: id, ...body });
    res.status(201).json({ conversation: presentCaseState(r.conversation), message: presentWrittenMessage(r.message), joinedCopies: r.joinedCopies.map(presentWrittenMessage) });
  });

  router.post('/:id/notes', async (req, res) => {
    const { id } = parseRequest(IdParamsSchema, req.params);
    const body = parseRequest(NoteSchema, req.body);
    const r = await addNote(ctx, await actorOf(req.agent!), { conversationId: id, ...body });
    res.status(201).json({ message: presentWrittenMessage(r.message), mentionedAgentIds: r.mentionedAgentIds });
  });

  router.post('/:id/status', async (req, res) => {
    const { id } = parseRequest(IdParamsSchema, req.params);
    const body = parseRequest(StatusSchema, req.body);
    const c = await changeStatus(ctx, await actorOf(req.agent!), { conversationId: id, ...body });
    res.json({ conversation: presentCaseState(c) });
  });

  router.post('/:id/category', async (req, res) => {
    const { id } = parseRequest(IdParamsSchema, req.params);
    const body = parseRequest(CategorySchema, req.body);
    const c = await changeCategory(ctx, await actorOf(req.agent!), { conversationId: id, ...body });
    res.json({ conversation: presentCaseState(c) });
  });

  router.post('/:id/department', async (req, res) => {
    const { id } = parseRequest(IdParamsSchema, req.params);
    const body = parseRequest(DepartmentSchema, req.body);
    const c = await changeDepartment(ctx, await actorOf(req.agent!), { conversationId: id, ...body });
    res.json({ conversation: presentCaseState(c) });
  });

  router.post('/:id/transfer', async (req, res) => {
    const { id } = parseRequest(IdParamsSchema, req.params);
    const body = parseRequest(TransferSchema, req.body);
    const c = await transfer(ctx, await actorOf(req.agent!), { conversationId: id, ...body });
    res.json({ conversation: presentCaseState(c) });
  });

  router.post('/:id/join', async (req, res) => {
    const { id } = parseRequest(IdParamsSchema, req.params);
    const body = parseRequest(JoinSchema, req.body);
    const r = await joinConversations(ctx, await actorOf(req.agent!), { conversationId: id, duplicateIds: body.duplicateIds });
    res.json({ conversation: presentCaseState(r.conversation), joined: r.joined.map(presentCaseState) });
  });

  /**
   * A file of a message on a case the agent may see (letter pages, photos, email attachments). Served with
   * its sniffed type, never executed: a sandboxing CSP and nosniff; only images, audio and PDF inline.
   */
  router.get('/:id/attachments/:attachmentId', async (req, res) => {
    const { id } = parseRequest(IdParamsSchema, req.params);
    const { id: attachmentId } = parseRequest(IdParamsSchema, { id: req.params.attachmentId });
    const scope = (await actorOf(req.agent!)).scope;
    const conversation = await Conversation.findByPk(id);
    if (!conversation || !canSee(scope, conversation)) throw notFound('The case');
    const attachment = await Attachment.findByPk(attachmentId, { include: [{ model: Message, as: 'message', attributes: ['conversationId', 'channel', 'direction'] }] });
    const owner = (attachment as (Attachment & { message?: Message }) | null)?.message;
    if (!attachment || !owner || owner.conversationId !== conversation.id) throw notFound('The attachment');
    if (isOriginalScan(owner, attachment) && !mayViewOriginalScan(req.agent!)) {
      throw forbidden('The original scan of a letter is open only to supervisors and administrators; the page images and the text of the case show what it says.');
    }
    const inline = /^(image\/(png|jpeg|gif|webp)|audio\/|application\/pdf$)/.test(attachment.contentType);
    res.set({
      'Content-Type': attachment.contentType,
      'Content-Disposition': `${inline ? 'inline' : 'attachment'}; filename*=UTF-8''${encodeURIComponent(attachment.filename)}`,
      'X-Content-Type-Options': 'nosniff',
      'Content-Security-Policy': "sandbox; default-src 'none'; img-src 'self'; media-src 'self'",
      'Cache-Control': 'private, max-age=3600',
    });
    res.send(await ctx.blobs.get(attachment.sha256));
  });

  return router;
}
