// Verify a credential with Digital Bazaar's jsonld-signatures (the library behind many wallets
// and verifiers), independently of AgriQCert's Python code.
//   node verify.mjs CREDENTIAL.json CONTEXTS.json  ->  {"verified": true|false, "error": "..."}
// CONTEXTS.json maps context URLs to documents; nothing is fetched from the network.
import fs from 'node:fs';
import {Ed25519Signature2020} from '@digitalbazaar/ed25519-signature-2020';
import jsigs from 'jsonld-signatures';
import {didKeyDocuments} from './did-key.mjs';

const {purposes: {AssertionProofPurpose}} = jsigs;
const credential = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));
const contexts = JSON.parse(fs.readFileSync(process.argv[3], 'utf8'));

const {controller, documents} = await didKeyDocuments(credential.proof.verificationMethod);
const documentLoader = async url => {
  if (url in contexts) return {contextUrl: null, documentUrl: url, document: contexts[url]};
  if (url in documents) return {contextUrl: null, documentUrl: url, document: documents[url]};
  throw new Error(`refusing to load ${url}`);
};

const result = await jsigs.verify(credential, {
  suite: new Ed25519Signature2020(), purpose: new AssertionProofPurpose({controller}), documentLoader,
});
const error = result.error ? String(result.error.errors?.[0] ?? result.error) : null;
console.log(JSON.stringify({verified: result.verified, error}));
