"""Run the vidjil-api service (the hub starts it: see vidjil_kernel.server.hubconf)."""

import uvicorn

from vidjil_kernel.api.app import create_app
from vidjil_kernel.api.config import ApiConfig

config = ApiConfig.from_env()
uvicorn.run(create_app(config), host=config.host, port=config.port, log_level="info",
            proxy_headers=False, access_log=True)
