import { AppError, forbidden, notFound } from '../errors';

/** Routing's errors: the same stable codes the socket Acks carry (server/realtime/contract.ts AckErrorCode). */
export const offerGone = () =>
  new AppError(409, 'offer_gone', 'This offer is no longer open (accepted, declined, expired or withdrawn); wait for the next one or take a case from the queue.');
export const capacityFull = () =>
  new AppError(409, 'capacity_full', 'You already work as many cases of this channel as your capacity allows; finish or hand one over first.');
export const notAvailable = (message = 'Set your presence to available (or busy) to take cases.') => new AppError(409, 'not_available', message);
export const queueEmpty = () => new AppError(404, 'queue_empty', 'No case is waiting that you can take right now.');
export const notYourOffer = () => forbidden('This offer was made to another agent.');
export const offerNotFound = () => notFound('The offer');
