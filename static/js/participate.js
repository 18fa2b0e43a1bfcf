// The invite link carries the member's secret after '#', which browsers never send to a
// server. Move it into the form's POST body, wipe it from the address bar and history,
// and continue.
const form = document.getElementById('invite-form');
const field = document.getElementById('f-invite');
const secret = decodeURIComponent(location.hash.slice(1));
if (form && field && secret) {
  field.value = secret;
  history.replaceState(null, '', location.pathname);
  form.submit();
}
