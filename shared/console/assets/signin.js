// The sign-in page: email and password against the user pool, then the
// challenges Cognito may pose: a new password for a user ops created with a
// temporary one, or a code from an authenticator app (TOTP MFA). The
// password and the challenge's session live only in this closure.

import { initiateAuth, respondToChallenge } from './cognito.js';
import { start } from './session.js';
import { h, field, notice, busy, replace } from './ui.js';

// signInView renders into main; onSignedIn runs once signed in. message,
// when given, says why the page is shown (an expired session, signed out).
export function signInView(main, cfg, { message, onSignedIn }) {
  const status = notice();
  const box = h('div', { class: 'signin-box' });
  replace(main, h('section', { class: 'signin', 'aria-labelledby': 'signin-title' },
    h('h1', { id: 'signin-title', tabindex: '-1' }, 'Sign in'),
    h('p', { class: 'lead' }, 'Marketers and business admins sign in with the email and password their administrator gave them.'),
    status.el, box));
  if (message) status.info(message);
  document.title = 'Sign in — Target Loader';

  let email = '';

  // finish keeps the tokens of a completed sign-in, or asks the next question.
  function finish(out) {
    if (out.AuthenticationResult) {
      start(out.AuthenticationResult);
      onSignedIn();
      return;
    }
    switch (out.ChallengeName) {
      case 'NEW_PASSWORD_REQUIRED': return newPasswordForm(out.Session);
      case 'SOFTWARE_TOKEN_MFA': return mfaForm(out.Session);
      default:
        status.error(`This account needs a sign-in step the console does not offer (${out.ChallengeName || 'unknown'}): ask your administrator.`);
        return passwordForm();
    }
  }

  // answer responds to a challenge; a refused session (it lasts minutes)
  // starts the sign-in again.
  async function answer(challenge, session, responses) {
    try {
      finish(await respondToChallenge(cfg, challenge, session, responses));
    } catch (err) {
      if (err.type === 'NotAuthorizedException') passwordForm();
      throw err;
    }
  }

  function form(title, fields, submitText, onSubmit) {
    const submit = h('button', { type: 'submit' }, submitText);
    // method=post: should the page's script not handle it, no field may end
    // up in a URL (and the CSP's form-action 'none' stops it anyway).
    const f = h('form', { method: 'post', novalidate: true, class: 'stack' }, title ? h('h2', {}, title) : null, fields, h('div', { class: 'actions' }, submit));
    f.addEventListener('submit', (ev) => {
      ev.preventDefault();
      busy(submit, async () => {
        status.clear();
        try {
          await onSubmit();
        } catch (err) {
          status.error(err);
        }
      });
    });
    replace(box, f);
    return f;
  }

  function passwordForm() {
    const emailInput = h('input', { id: 'signin-email', type: 'email', name: 'email', autocomplete: 'username', required: true, spellcheck: 'false', value: email });
    const password = h('input', { id: 'signin-password', type: 'password', name: 'password', autocomplete: 'current-password', required: true });
    form(null, [field('Email', emailInput), field('Password', password)], 'Sign in', async () => {
      email = emailInput.value.trim();
      if (!email || !password.value) {
        status.error('Enter your email and your password.');
        (email ? password : emailInput).focus();
        return;
      }
      try {
        finish(await initiateAuth(cfg, email, password.value));
      } catch (err) {
        password.value = '';
        password.focus();
        throw err;
      }
    });
    (email ? password : emailInput).focus();
  }

  function newPasswordForm(session) {
    const pw = h('input', { id: 'signin-new-password', type: 'password', autocomplete: 'new-password', required: true });
    const again = h('input', { id: 'signin-new-password-again', type: 'password', autocomplete: 'new-password', required: true });
    const rules = h('p', { class: 'hint' }, '12 characters or more, with upper and lower case letters, digits and symbols.');
    form('Choose a new password', [
      h('p', {}, 'Your administrator gave you a temporary password. Choose your own to finish signing in.'),
      field('New password', pw, rules), field('New password again', again),
    ], 'Set password', async () => {
      if (!pw.value || pw.value !== again.value) {
        status.error(pw.value ? 'The two passwords differ.' : 'Enter a new password.');
        pw.focus();
        return;
      }
      await answer('NEW_PASSWORD_REQUIRED', session, { USERNAME: email, NEW_PASSWORD: pw.value });
    });
    pw.focus();
  }

  function mfaForm(session) {
    const code = h('input', { id: 'signin-code', type: 'text', inputmode: 'numeric', autocomplete: 'one-time-code', pattern: '[0-9]{6}', maxlength: '6', required: true });
    form('Authenticator code', [field('Code', code, h('p', { class: 'hint' }, 'The 6-digit code your authenticator app shows now.'))], 'Verify', async () => {
      await answer('SOFTWARE_TOKEN_MFA', session, { USERNAME: email, SOFTWARE_TOKEN_MFA_CODE: code.value.trim() });
    });
    code.focus();
  }

  passwordForm();
}
