// The webrtc module's one wrapper around OpenSSL object lifetimes: owning handles that call the
// matching free function, and the per-thread error queue as text. dtls_certificate.cc and
// dtls_transport.cc hold OpenSSL objects only through these. (control/jwt_crypto.cc keeps its own
// handles: modules do not share private headers.)
//
// OpenSSL 3 initialises itself on first use (OPENSSL_init_ssl is implicit), so there is no global
// set-up to run here.
#pragma once

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <tessera/srtp/openssl_error.h>

#include <memory>
#include <string>

namespace tessera::webrtc::ossl {

// Calls `Free` on a non-null pointer (unique_ptr never calls its deleter with null).
template <auto Free>
struct Deleter {
  template <typename T>
  void operator()(T* p) const {
    Free(p);
  }
};

using BioPtr = std::unique_ptr<BIO, Deleter<&BIO_free>>;
using BignumPtr = std::unique_ptr<BIGNUM, Deleter<&BN_free>>;
using EvpPkeyPtr = std::unique_ptr<EVP_PKEY, Deleter<&EVP_PKEY_free>>;
using X509Ptr = std::unique_ptr<X509, Deleter<&X509_free>>;
using SslCtxPtr = std::unique_ptr<SSL_CTX, Deleter<&SSL_CTX_free>>;
using SslPtr = std::unique_ptr<SSL, Deleter<&SSL_free>>;

using srtp::TakeOpenSslError;

}  // namespace tessera::webrtc::ossl
