// A real OpenID Connect provider for the sign-in tests (panva's oidc-provider, certified).
//
// Started by tests/portal/test_oidc_signin.py on 127.0.0.1 with its settings in the
// environment; it prints "ready <issuer>" once it listens. People sign in on its development
// login form (any password); who they are comes from the JSON file OIDC_TEST_USERS names,
// read again at every sign-in, so a test can change someone's groups between two sign-ins:
//   {"<login>": {"email": "...", "email_verified": true, "given_name": "...",
//                "family_name": "...", "groups": ["..."]}}
import { readFileSync } from 'node:fs';

import Provider from 'oidc-provider';

const need = (name) => {
  const value = process.env[name];
  if (!value) {
    console.error(`provider.mjs needs ${name} in the environment`);
    process.exit(2);
  }
  return value;
};

const port = Number(need('OIDC_TEST_PORT'));
const issuer = `http://127.0.0.1:${port}`;
const usersFile = need('OIDC_TEST_USERS');

const configuration = {
  clients: [
    {
      client_id: need('OIDC_TEST_CLIENT_ID'),
      client_secret: need('OIDC_TEST_CLIENT_SECRET'),
      redirect_uris: [need('OIDC_TEST_REDIRECT_URI')],
      post_logout_redirect_uris: [need('OIDC_TEST_POST_LOGOUT_URI')],
      grant_types: ['authorization_code'],
      response_types: ['code'],
      token_endpoint_auth_method: 'client_secret_basic',
    },
  ],
  claims: {
    openid: ['sub'],
    email: ['email', 'email_verified'],
    profile: ['name', 'given_name', 'family_name'],
    groups: ['groups'],
  },
  scopes: ['openid', 'email', 'profile', 'groups'],
  cookies: { keys: ['rota-oidc-tests-only'] },
  features: { devInteractions: { enabled: true } },
  pkce: { required: () => true },
  // Rota is a first-party client: grant what it asks for without a consent screen, as an
  // organisation's provider does for its own applications.
  async loadExistingGrant(ctx) {
    const grantId = ctx.oidc.result?.consent?.grantId
      || ctx.oidc.session.grantIdFor(ctx.oidc.client.clientId);
    if (grantId) {
      return ctx.oidc.provider.Grant.find(grantId);
    }
    const grant = new ctx.oidc.provider.Grant({
      clientId: ctx.oidc.client.clientId,
      accountId: ctx.oidc.session.accountId,
    });
    grant.addOIDCScope(ctx.oidc.params.scope);
    await grant.save();
    return grant;
  },
  async findAccount(ctx, id) {
    const users = JSON.parse(readFileSync(usersFile, 'utf8'));
    const person = users[id];
    if (!person) {
      return undefined;
    }
    return {
      accountId: id,
      async claims() {
        return {
          sub: id,
          name: `${person.given_name ?? ''} ${person.family_name ?? ''}`.trim(),
          ...person,
        };
      },
    };
  },
};

const provider = new Provider(issuer, configuration);
provider.on('server_error', (ctx, error) => console.error('server_error', error));
provider.listen(port, '127.0.0.1', () => {
  console.log(`ready ${issuer}`);
});
