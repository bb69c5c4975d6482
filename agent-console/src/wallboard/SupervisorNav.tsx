import { href, type Route } from '../ui/router';
import { useSlaText } from './messages';
import { useEmailText } from '../admin/email/messages';

/** The supervisors' links (wallboard, reports) and the deadlines/hours screen, in the console's navigation. */
export function SupervisorNav({ role, route }: { role: 'agent' | 'supervisor' | 'admin'; route: Route }) {
  const t = useSlaText();
  const te = useEmailText();
  const links: { route: Route; label: string }[] = [
    ...(role === 'agent' ? [] : [{ route: { name: 'wallboard' } as Route, label: t('nav.wallboard') }, { route: { name: 'reports' } as Route, label: t('nav.reports') }]),
    { route: { name: 'admin-sla' }, label: t('nav.slaAdmin') },
    ...(role === 'agent' ? [] : [{ route: { name: 'admin-email' } as Route, label: te('nav.email') }]),
  ];
  return (
    <ul>
      {links.map((l) => (
        <li key={l.route.name}>
          <a href={href(l.route)} aria-current={route.name === l.route.name ? 'page' : undefined}>
            {l.label}
          </a>
        </li>
      ))}
    </ul>
  );
}
