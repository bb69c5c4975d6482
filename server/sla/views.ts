/**
 * The views the wallboard and report endpoints answer with: types only, imported by the console with
 * `import type` (no server code follows them into the browser build).
 */
import type { ChannelKind } from '../../channels/contract';

export type PresenceName = 'available' | 'busy' | 'away' | 'offline' | 'after_call_work';

/** The filters a report was computed with (dates are Bucharest days, both included). */
export interface ReportFilters {
  from: string;
  to: string;
  channel?: ChannelKind;
  categoryId?: number;
  departmentId?: number;
}

/** Met against decided (breached + met) clocks; `share` is null when nothing was decided yet. */
export interface ComplianceView {
  met: number;
  breached: number;
  share: number | null;
}

/** One department's board (departmentId null: the general queue, cases with no department). */
export interface DepartmentBoardView {
  departmentId: number | null;
  name: string;
  /** Open cases with no assignee, waiting for an agent. */
  waiting: number;
  /** Since when the longest-waiting of them waits (ISO), or null. */
  longestWaitingSince: string | null;
  /** The nearest due moment among all open cases of the department. */
  nearestDueAt: string | null;
  /** Live calls (voice cases) waiting, and the oldest one's start. */
  callsWaiting: number;
  longestCallWaitingSince: string | null;
  openCases: number;
  atRisk: number;
  breached: number;
  /** Agents of the department (plus agents serving every department) by presence. */
  agents: Record<PresenceName, number>;
  offersAcceptedToday: number;
  offersDeclinedToday: number;
}

/** A case in the at-risk or breached list. */
export interface BoardCaseView {
  id: number;
  registrationNumber: string;
  departmentId: number | null;
  channel: ChannelKind;
  priority: number;
  slaState: string;
  dueAt: string | null;
  legalDueDate: string | null;
  assigneeId: number | null;
}

/** The supervisors' wallboard at one moment, computed by SQL aggregates. */
export interface WallboardView {
  at: string;
  today: string;
  departments: DepartmentBoardView[];
  compliance: { sla: { today: ComplianceView; month: ComplianceView }; legal: { today: ComplianceView; month: ComplianceView } };
  atRisk: BoardCaseView[];
  breached: BoardCaseView[];
  /** New cases per channel today so far, against the same weekday last week up to the same time of day, and all of it. */
  volume: { channel: ChannelKind; today: number; lastWeekSameTime: number; lastWeekWholeDay: number }[];
}

/** Percentiles of a duration, in seconds, over `count` cases. */
export interface DurationStats {
  count: number;
  medianSeconds: number | null;
  p90Seconds: number | null;
}

/** The supervisor report over a period (every figure an SQL aggregate; percentiles from a histogram). */
export interface SupervisorReport {
  query: ReportFilters;
  volume: {
    total: number;
    byChannel: { channel: ChannelKind; count: number }[];
    byCategory: { categoryId: number | null; name: string | null; count: number }[];
    byDepartment: { departmentId: number | null; name: string | null; count: number }[];
  };
  firstResponse: DurationStats;
  resolution: DurationStats;
  compliance: { sla: { met: number; breached: number; share: number | null }; legal: { met: number; breached: number; share: number | null } };
  /** Ratings 1–5 from the portal; `available` false when this installation stores none yet. */
  satisfaction: { available: boolean; count: number; average: number | null };
  agents: { agentId: number; name: string; resolved: number; slaMet: number; slaBreached: number; repliesSent: number; medianResolutionSeconds: number | null }[];
  /** Cases still open now, by age since registration. */
  backlog: { bucket: string; count: number }[];
}

