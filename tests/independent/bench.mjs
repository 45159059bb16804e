// Signing and verification rates of Digital Bazaar's jsonld-signatures, warm, for bench/credentials.py.
//   node bench.mjs CREDENTIAL.json CONTEXTS.json SECONDS  ->  {"signed_per_second": …, "verified_per_second": …}
// CREDENTIAL.json is signed with Ed25519Signature2020 by a did:key; it is verified as it is, and
// signed again (without its proof) with a fresh key. Nothing is fetched from the network.
import fs from 'node:fs';
import {Ed25519Signature2020} from '@digitalbazaar/ed25519-signature-2020';
import {Ed25519VerificationKey2020} from '@digitalbazaar/ed25519-verification-key-2020';
import jsigs from 'jsonld-signatures';
import {didKeyDocuments} from './did-key.mjs';

const {purposes: {AssertionProofPurpose}} = jsigs;
const credential = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));
const contexts = JSON.parse(fs.readFileSync(process.argv[3], 'utf8'));
const seconds = Number(process.argv[4] || 5);

const signer = await Ed25519VerificationKey2020.generate();
signer.controller = `did:key:${signer.fingerprint()}`;
signer.id = `${signer.controller}#${signer.fingerprint()}`;
const verifying = await didKeyDocuments(credential.proof.verificationMethod);
const documentLoader = async url => {
  if (url in contexts) return {contextUrl: null, documentUrl: url, document: contexts[url]};
  if (url in verifying.documents) return {contextUrl: null, documentUrl: url, document: verifying.documents[url]};
  throw new Error(`refusing to load ${url}`);
};
const {proof, ...unsigned} = credential;

const sign = () => jsigs.sign(structuredClone(unsigned), {
  suite: new Ed25519Signature2020({key: signer}), purpose: new AssertionProofPurpose(), documentLoader,
});
const verify = async () => {
  const result = await jsigs.verify(credential, {
    suite: new Ed25519Signature2020(), purpose: new AssertionProofPurpose({controller: verifying.controller}),
    documentLoader,
  });
  if (!result.verified) throw new Error(String(result.error));
};

async function rate(action) {
  for (let i = 0; i < 50; i++) await action();  // warm: JIT, context caches
  let count = 0;
  const start = performance.now();
  while (performance.now() - start < seconds * 1000) {
    await action();
    count++;
  }
  return count / ((performance.now() - start) / 1000);
}

console.log(JSON.stringify({signed_per_second: await rate(sign), verified_per_second: await rate(verify)}));
