import { MAX_SLA_ALERTS, withSlaAlert } from '../../agent-console/src/socket/slaAlertList';
import type { SlaAlertView } from '../../server/realtime/contract';

const alert = (conversationId: number, level: SlaAlertView['level'], kind: SlaAlertView['kind'] = 'first_response'): SlaAlertView => ({
  conversationId,
  registrationNumber: `${conversationId}/2026`,
  level,
  kind,
  dueAt: null,
  legalDueDate: null,
  departmentId: 1,
  departmentName: 'Drumuri',
  assigneeId: null,
  raisedAt: '2026-11-24T08:00:00.000Z',
});

describe('the SLA notices a console keeps', () => {
  test('a breach replaces the warning of the same clock; other clocks and cases stay', () => {
    const list = [alert(1, 'warning'), alert(1, 'warning', 'resolution'), alert(2, 'warning')];
    const next = withSlaAlert(list, alert(1, 'breached'));
    expect(next.map((a) => [a.conversationId, a.kind, a.level])).toEqual([
      [1, 'resolution', 'warning'],
      [2, 'first_response', 'warning'],
      [1, 'first_response', 'breached'],
    ]);
  });

  test('a warning that arrives after its breach (another process overtook it) does not replace the breach', () => {
    const list = [alert(1, 'breached')];
    expect(withSlaAlert(list, alert(1, 'warning'))).toEqual(list);
    // A warning of another clock of the same case is still shown.
    expect(withSlaAlert(list, alert(1, 'warning', 'legal')).map((a) => a.kind)).toEqual(['first_response', 'legal']);
  });

  test(`at most ${MAX_SLA_ALERTS} notices, the newest kept`, () => {
    let list: SlaAlertView[] = [];
    for (let i = 1; i <= MAX_SLA_ALERTS + 2; i++) list = withSlaAlert(list, alert(i, 'breached'));
    expect(list.map((a) => a.conversationId)).toEqual([3, 4, 5, 6, 7]);
  });
});
