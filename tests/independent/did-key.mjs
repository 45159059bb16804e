// The did:key documents a verifier resolves for an Ed25519 verification method (no network).
import {Ed25519VerificationKey2020} from '@digitalbazaar/ed25519-verification-key-2020';

export async function didKeyDocuments(method) {
  const did = method.split('#')[0];
  const key = await Ed25519VerificationKey2020.from({
    id: method, controller: did, publicKeyMultibase: did.slice('did:key:'.length),
  });
  const keyDocument = {
    '@context': 'https://w3id.org/security/suites/ed25519-2020/v1',
    ...key.export({publicKey: true, includeContext: false}),
  };
  const controller = {
    '@context': ['https://www.w3.org/ns/did/v1', 'https://w3id.org/security/suites/ed25519-2020/v1'],
    id: did, verificationMethod: [keyDocument], assertionMethod: [method],
  };
  return {controller, documents: {[method]: keyDocument, [did]: controller}};
}
