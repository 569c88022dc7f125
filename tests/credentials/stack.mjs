// The digitalbazaar stack as one module, for scripts outside this folder (benchmarks/vc/js_bench.mjs)
// whose imports would not find this folder's node_modules.
export * as vc from '@digitalbazaar/vc';
export * as Ed25519Multikey from '@digitalbazaar/ed25519-multikey';
export {DataIntegrityProof} from '@digitalbazaar/data-integrity';
export {createSignCryptosuite, createVerifyCryptosuite} from '@digitalbazaar/eddsa-jcs-2022-cryptosuite';
export {documentLoader} from './loader.mjs';
