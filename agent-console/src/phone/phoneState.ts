import { useQuery } from '@tanstack/react-query';
import { useSyncExternalStore } from 'react';
import type { CallOfferView } from '../../../server/realtime/contract';
import { api } from '../api';

/** GET /api/v1/phone/config: whether the phone channel and the browser softphone are configured, and my own number. */
export interface PhoneConfig {
  phone: boolean;
  softphone: boolean;
  phoneNumber: string | null;
}

/** GET /api/v1/phone/calls/mine: the calls ringing for me (offer cards); patched by the socket. */
export interface MyCalls {
  offers: CallOfferView[];
}

export function usePhoneConfig() {
  return useQuery({ queryKey: ['phoneConfig'], queryFn: () => api<PhoneConfig>('/phone/config'), staleTime: Infinity });
}

/** The calls ringing for me; only asked for when the phone channel is configured. */
export function useMyCalls(enabled: boolean) {
  return useQuery({ queryKey: ['phoneCalls'], queryFn: () => api<MyCalls>('/phone/calls/mine'), enabled });
}

/** Whether this tab's softphone is registered with Twilio (the accept flow rings the agent's phone otherwise). */
let registered = false;
const listeners = new Set<() => void>();

export function setSoftphoneRegistered(value: boolean): void {
  if (registered === value) return;
  registered = value;
  for (const l of listeners) l();
}

export function useSoftphoneRegistered(): boolean {
  return useSyncExternalStore(
    (l) => {
      listeners.add(l);
      return () => listeners.delete(l);
    },
    () => registered,
  );
}
