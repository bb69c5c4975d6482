import type { InboundContact, Language } from '../contract';

/** A portal form submission, already validated by the portal (category checked, photos cleaned). */
export interface PortalSubmission {
  /** The id generated into the form as a hidden field: a double submit carries the same one. */
  submissionId: string;
  language: Language;
  categoryCode: string;
  categoryName: string;
  description: string;
  location?: { lat: number; lng: number; address?: string };
  address?: string;
  contact: { name?: string; email?: string; phone?: string; postalAddress?: string };
  consentGiven: boolean;
  photos: { filename: string; contentType: string; data: Buffer }[];
}

/** The externalId of a portal submission: stable across a double submit of the same form. */
export function portalExternalId(submissionId: string): string {
  return `portal-form:${submissionId}`;
}

/** Translates a portal form submission into the pipeline's InboundContact (channel `portal`). */
export function portalSubmissionToContact(s: PortalSubmission, receivedAt = new Date()): InboundContact {
  const from = Object.fromEntries(Object.entries(s.contact).filter(([, v]) => v)) as PortalSubmission['contact'];
  const location = s.location ?? undefined;
  return {
    channel: 'portal',
    externalId: portalExternalId(s.submissionId),
    receivedAt,
    from,
    subject: s.categoryName.slice(0, 200),
    text: s.description,
    categoryCode: s.categoryCode,
    language: s.language,
    location: location ? { lat: location.lat, lng: location.lng, address: location.address ?? s.address } : undefined,
    metadata: {
      source: 'portal-form',
      ...(s.address && !location ? { address: s.address } : {}),
      consentAt: s.consentGiven ? receivedAt.toISOString() : null,
      photos: s.photos.length,
    },
    attachments: s.photos.map((p) => ({ filename: p.filename, contentType: p.contentType, data: p.data })),
  };
}

/** More information (text and photos) the citizen adds to their case from the tracking page. */
export interface PortalFollowUp {
  /** Unique per form shown, so a double submit yields one message. */
  submissionId: string;
  registrationNumber: string;
  language: Language;
  text: string;
  photos: { filename: string; contentType: string; data: Buffer }[];
}

/**
 * Translates a follow-up into an InboundContact that threads into the case by its quoted registration
 * number (`[#seq/year]` in the subject), as an email reply quoting the number would.
 */
export function portalFollowUpToContact(f: PortalFollowUp, receivedAt = new Date()): InboundContact {
  return {
    channel: 'portal',
    externalId: `portal-followup:${f.submissionId}`,
    receivedAt,
    from: {},
    subject: `[#${f.registrationNumber}]`,
    text: f.text,
    language: f.language,
    metadata: { source: 'portal-tracking', photos: f.photos.length },
    attachments: f.photos.map((p) => ({ filename: p.filename, contentType: p.contentType, data: p.data })),
  };
}
