// Placeholder console: signs in through the agent API and shows who is signed in.
(function () {
  const form = document.getElementById('login');
  const error = document.getElementById('error');
  const session = document.getElementById('session');
  function show(agent) {
    form.hidden = true;
    session.hidden = false;
    document.getElementById('who').textContent = agent.name + ' (' + agent.role + ')';
  }
  fetch('/api/v1/auth/session', { credentials: 'same-origin' })
    .then((r) => (r.ok ? r.json() : null))
    .then((s) => { if (s && s.agent) { window.csrfToken = s.csrfToken; show(s.agent); } })
    .catch(() => {});
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    error.textContent = '';
    const body = { email: form.email.value, password: form.password.value };
    const r = await fetch('/api/v1/auth/login', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body), credentials: 'same-origin' });
    const data = await r.json().catch(() => ({}));
    if (!r.ok) { error.textContent = (data.error && data.error.message) || 'Autentificarea a eșuat.'; return; }
    window.csrfToken = data.csrfToken;
    show(data.agent);
  });
  document.getElementById('logout').addEventListener('click', async () => {
    await fetch('/api/v1/auth/logout', { method: 'POST', headers: { 'X-CSRF-Token': window.csrfToken || '' }, credentials: 'same-origin' });
    location.reload();
  });
})();
