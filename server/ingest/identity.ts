import { createHmac } from 'node:crypto';
import { parsePhoneNumberFromString } from 'libphonenumber-js';
import type { ContactSender } from '../../channels/contract';
import type { IdentityKind } from '../../db/models/CitizenIdentity';
import { validationError } from '../errors';

/** One normalised identity of a sender. */
export interface NormalisedIdentity {
  kind: IdentityKind;
  value: string;
}

/** A phone number in E.164; national Romanian numbers (07xx…) are read as +40. Throws a validation error if unparseable. */
export function normalisePhone(raw: string, field = 'from.phone'): string {
  const parsed = parsePhoneNumberFromString(raw.trim(), 'RO');
  if (!parsed || !parsed.isPossible()) {
    throw validationError(field, 'is not a phone number we can dial; send it in international form, e.g. +40721234567');
  }
  return parsed.number;
}

/** Emails are compared lower-cased and trimmed. */
export function normaliseEmail(raw: string): string {
  return raw.trim().toLowerCase();
}

/** Postal addresses are compared with folded case, diacritics and white space. */
export function normalisePostal(raw: string): string {
  return raw
    .normalize('NFD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, ' ')
    .trim()
    .slice(0, 320);
}

/** A CNP is never stored: only a keyed hash, enough to recognise the same person again. */
export function cnpHash(cnp: string, secret: string): string {
  return createHmac('sha256', secret).update(`cnp:${cnp}`).digest('hex');
}

/** Every identity the sender offered, normalised, strongest first (CNP, email, phone, postal). */
export function senderIdentities(from: ContactSender, secret: string): NormalisedIdentity[] {
  const out: NormalisedIdentity[] = [];
  if (from.cnp) out.push({ kind: 'cnp_hash', value: cnpHash(from.cnp, secret) });
  if (from.email) out.push({ kind: 'email', value: normaliseEmail(from.email) });
  if (from.phone) out.push({ kind: 'phone', value: normalisePhone(from.phone) });
  if (from.postalAddress) {
    const postal = normalisePostal(from.postalAddress);
    if (postal) out.push({ kind: 'postal', value: postal });
  }
  return out;
}
