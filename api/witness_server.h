// HTTP face of a C2SP tlog-witness (service/witness.h): POST /add-checkpoint, and GET / for a
// one-line description with the witness's cosigner key. Everything else is 404.
//
// Status mapping (tlog-witness): 200 cosignature lines (text/plain); 400 malformed or old size
// above the checkpoint's; 403 no trusted signature; 404 unknown log; 409 old size mismatch or
// same size with another root, body "<size>\n" as text/x.tlog.size; 422 bad consistency
// proof; 503 state could not be persisted. Errors other than 409 are a text line saying why.
#pragma once

#include "api/http.h"
#include "api/server.h"
#include "service/witness.h"

namespace lcb {

// The request handler, for an HttpServer (the witness must outlive it).
HttpResponse HandleWitnessRequest(Witness& witness, const HttpRequest& request);
Dispatcher WitnessDispatcher(Witness& witness);

}  // namespace lcb
