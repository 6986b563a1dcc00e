/**
 * The gateway's secrets and what it does with them: the key vault (AES-GCM sealing), key
 * fingerprints, secret hashing, the evidence signer and the loading of these secrets.
 *
 * <p>Uses no other layer of the gateway.
 */
package io.keyhold.gateway.crypto;
