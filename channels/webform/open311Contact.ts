import type { InboundContact } from '../contract';

/** The fields of an Open311 GeoReport v2 POST /requests, already checked by the Open311 endpoint. */
export interface Open311Post {
  /** Our id for this POST (Open311 has no idempotency key of its own). */
  requestId: string;
  apiKeyId: number;
  serviceCode: string;
  serviceName: string;
  lat?: number;
  long?: number;
  addressString?: string;
  addressId?: string;
  email?: string;
  deviceId?: string;
  accountId?: string;
  firstName?: string;
  lastName?: string;
  phone?: string;
  description?: string;
  mediaUrl?: string;
  attributes: Record<string, string>;
}

/** The externalId an Open311 request is stored under; the `token` the API hands out is its suffix. */
export function open311ExternalId(requestId: string): string {
  return `open311:${requestId}`;
}

/** Translates an Open311 POST into the pipeline's InboundContact (channel `portal`, source `open311`). */
export function open311PostToContact(p: Open311Post, receivedAt = new Date()): InboundContact {
  const name = [p.firstName, p.lastName].filter(Boolean).join(' ').trim();
  const from: InboundContact['from'] = {};
  if (name) from.name = name;
  if (p.email) from.email = p.email;
  if (p.phone) from.phone = p.phone;
  const hasPoint = p.lat !== undefined && p.long !== undefined;
  return {
    channel: 'portal',
    externalId: open311ExternalId(p.requestId),
    receivedAt,
    from,
    subject: p.serviceName.slice(0, 200),
    text: p.description ?? '',
    categoryCode: p.serviceCode,
    location: hasPoint ? { lat: p.lat!, lng: p.long!, address: p.addressString } : undefined,
    metadata: {
      source: 'open311',
      apiKeyId: p.apiKeyId,
      ...(hasPoint ? {} : { address: p.addressString ?? null, addressId: p.addressId ?? null }),
      deviceId: p.deviceId ?? null,
      accountId: p.accountId ?? null,
      // Kept as a link only: fetching a URL a client names would let it make us call anywhere.
      mediaUrl: p.mediaUrl ?? null,
      attributes: p.attributes,
    },
  };
}
