#include "api/witness_server.h"

namespace lcb {
namespace {

HttpResponse Text(int status, std::string body, std::string type = "text/plain; charset=utf-8") {
  HttpResponse r;
  r.status = status;
  r.content_type = std::move(type);
  r.body = std::move(body);
  return r;
}

int HttpStatusOf(StatusCode code) {
  switch (code) {
    case StatusCode::kInvalidArgument:
      return 400;
    case StatusCode::kPermissionDenied:
      return 403;
    case StatusCode::kNotFound:
      return 404;
    case StatusCode::kFailedPrecondition:
      return 409;
    case StatusCode::kDataLoss:
      return 422;
    default:
      return 503;
  }
}

}  // namespace

HttpResponse HandleWitnessRequest(Witness& witness, const HttpRequest& request) {
  if (request.path == "/" && request.method == "GET") {
    return Text(200, "C2SP tlog-witness " + witness.vkey() + "\n");
  }
  if (request.path != "/add-checkpoint") return Text(404, "not found\n");
  if (request.method != "POST") {
    HttpResponse r = Text(405, "add-checkpoint takes POST\n");
    r.headers.emplace_back("Allow", "POST");
    return r;
  }
  uint64_t known_size = 0;
  auto cosig = witness.AddCheckpoint(request.body, &known_size);
  if (cosig.ok()) return Text(200, std::move(cosig).value());
  const int status = HttpStatusOf(cosig.status().code());
  if (status == 409) return Text(409, std::to_string(known_size) + "\n", "text/x.tlog.size");
  return Text(status, cosig.status().message() + "\n");
}

Dispatcher WitnessDispatcher(Witness& witness) {
  Witness* w = &witness;
  return [w](HttpRequest request, Respond respond) { respond(HandleWitnessRequest(*w, request)); };
}

}  // namespace lcb
