// The frontend: DeathStarBench's HTTP endpoints (/hotels, /recommendations, /user, /reservation)
// answered by calling the services through `services` (a remote HotelApi). JSON replies; bad or
// missing parameters are 400 with a one-line reason, a wrong password 401, a full hotel 409.
#pragma once

#include <cstdint>

#include "api.h"

namespace hotel {

// Serves HTTP on 127.0.0.1:`port` until killed; prints "ready" once listening.
void run_frontend(HotelApi& services, uint16_t port);

}  // namespace hotel
