// The user pool's public API, called from the browser as Cognito's own
// SDKs do: a JSON POST with the operation in X-Amz-Target. No AWS
// credentials: these operations take the app client's id only.

const TIMEOUT_MS = 30000;

// CognitoError is a refused or failed call, with a message for the page.
export class CognitoError extends Error {
  constructor(type, message) {
    super(message);
    this.name = 'CognitoError';
    this.type = type;
  }
}

// Messages for the errors a person signing in can meet; others keep
// Cognito's own message.
function messageFor(type, cognitoMessage) {
  switch (type) {
    case 'NotAuthorizedException':
      if (/attempts exceeded/i.test(cognitoMessage || '')) return 'Too many failed attempts: wait a few minutes, then try again.';
      if (/disabled/i.test(cognitoMessage || '')) return 'This user is disabled: ask your administrator.';
      if (/refresh token/i.test(cognitoMessage || '')) return 'Your session has expired.';
      if (/session/i.test(cognitoMessage || '')) return 'The sign-in took too long: sign in again.';
      return 'Incorrect email or password.';
    case 'UserNotFoundException':
      return 'Incorrect email or password.';
    case 'UserNotConfirmedException':
      return 'This user is not confirmed yet: ask your administrator.';
    case 'PasswordResetRequiredException':
      return 'Your password has to be reset: ask your administrator for a new temporary password.';
    case 'CodeMismatchException':
      return 'That code is not correct: enter the current code from your authenticator app.';
    case 'ExpiredCodeException':
      return 'That code has expired: enter the current code from your authenticator app.';
    case 'TooManyRequestsException':
    case 'LimitExceededException':
      return 'Too many attempts: wait a minute, then try again.';
    case 'InvalidPasswordException':
      return cognitoMessage || 'The new password does not meet the password rules.';
    default:
      return cognitoMessage ? `Sign-in failed: ${cognitoMessage}` : `Sign-in failed (${type || 'unknown error'}).`;
  }
}

async function call(cfg, operation, payload) {
  let resp;
  try {
    resp = await fetch(cfg.cognito_endpoint.replace(/\/+$/, '') + '/', {
      method: 'POST',
      headers: {
        'Content-Type': 'application/x-amz-json-1.1',
        'X-Amz-Target': `AWSCognitoIdentityProviderService.${operation}`,
      },
      body: JSON.stringify(payload),
      cache: 'no-store',
      credentials: 'omit',
      referrerPolicy: 'no-referrer',
      signal: AbortSignal.timeout(TIMEOUT_MS),
    });
  } catch (err) {
    const why = err && err.name === 'TimeoutError' ? 'did not answer in time' : 'could not be reached';
    throw new CognitoError('NetworkError', `The sign-in service ${why}. Check your connection and try again.`);
  }
  const data = await resp.json().catch(() => ({}));
  if (!resp.ok) {
    const type = String(data.__type || data.code || '').split('#').pop();
    throw new CognitoError(type, messageFor(type, data.message || data.Message));
  }
  return data;
}

// initiateAuth signs in with email and password (USER_PASSWORD_AUTH): the
// result holds AuthenticationResult, or a ChallengeName with its Session.
export function initiateAuth(cfg, email, password) {
  return call(cfg, 'InitiateAuth', {
    AuthFlow: 'USER_PASSWORD_AUTH',
    ClientId: cfg.client_id,
    AuthParameters: { USERNAME: email, PASSWORD: password },
  });
}

// respondToChallenge answers NEW_PASSWORD_REQUIRED or SOFTWARE_TOKEN_MFA.
export function respondToChallenge(cfg, challenge, session, responses) {
  return call(cfg, 'RespondToAuthChallenge', {
    ChallengeName: challenge,
    ClientId: cfg.client_id,
    Session: session,
    ChallengeResponses: responses,
  });
}

// refresh renews the ID token with the refresh token (REFRESH_TOKEN_AUTH).
export function refresh(cfg, refreshToken) {
  return call(cfg, 'InitiateAuth', {
    AuthFlow: 'REFRESH_TOKEN_AUTH',
    ClientId: cfg.client_id,
    AuthParameters: { REFRESH_TOKEN: refreshToken },
  });
}

// revoke ends the sign-in: the refresh token (and the tokens it issued) stop working.
export function revoke(cfg, refreshToken) {
  return call(cfg, 'RevokeToken', { ClientId: cfg.client_id, Token: refreshToken });
}
