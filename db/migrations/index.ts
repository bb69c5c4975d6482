import type { QueryInterface } from 'sequelize';
import type { MigrationFn } from 'umzug';
import * as initial from './202611240001-initial';
import * as jobs from './202611240002-jobs';
import * as email from './202611242001-email';
import * as phone from './202611244001-phone';
import * as phoneAgentIndex from './202611244002-phone-agent-index';
import * as slaCalendar from './202611246001-sla-calendar';
import * as wallboardCovering from './202611246002-wallboard-covering';
import * as reportRepliesIndex from './202611246003-report-replies-index';
import * as reportCaseColumns from './202611246004-report-case-columns';
import * as portalRatings from './202611243001-portal-ratings';
import * as citizenNotifications from './202611243002-citizen-notifications';
import * as portalRateLimits from './202611243003-portal-rate-limits';
import * as cannedResponses from './202611241101-canned-responses';
import * as routing from './202611241001-routing';
import * as letters from './202611245001-letters';
import * as letterPagesOrientationCnp from './202611248001-letter-pages-orientation-cnp';
import * as emailLeases from './202611242002-email-leases';
import * as duplicateIndexes from './202611247001-duplicate-indexes';
import * as routingLoadCovering from './202611249001-routing-load-covering';
import * as routingPendingActive from './202611249002-routing-pending-active';

export interface MigrationModule {
  up: MigrationFn<QueryInterface>;
  down?: MigrationFn<QueryInterface>;
}

/**
 * Every migration, in order. Listed explicitly rather than globbed so the same list runs under tsx, jest and a
 * compiled build. Add new ones at the end with a later timestamp in the name.
 */
export const MIGRATIONS: [name: string, migration: MigrationModule][] = [
  ['202611240001-initial', initial],
  ['202611244001-phone', phone],
  ['202611244002-phone-agent-index', phoneAgentIndex],
  ['202611246001-sla-calendar', slaCalendar],
  ['202611246002-wallboard-covering', wallboardCovering],
  ['202611246003-report-replies-index', reportRepliesIndex],
  ['202611246004-report-case-columns', reportCaseColumns],
  ['202611243001-portal-ratings', portalRatings],
  ['202611243002-citizen-notifications', citizenNotifications],
  ['202611243003-portal-rate-limits', portalRateLimits],
  ['202611241101-canned-responses', cannedResponses],
  ['202611242001-email', email],
  ['202611241001-routing', routing],
  ['202611245001-letters', letters],
  ['202611240002-jobs', jobs],
  ['202611247001-duplicate-indexes', duplicateIndexes],
  ['202611242002-email-leases', emailLeases],
  ['202611248001-letter-pages-orientation-cnp', letterPagesOrientationCnp],
  ['202611249001-routing-load-covering', routingLoadCovering],
  ['202611249002-routing-pending-active', routingPendingActive],
];
