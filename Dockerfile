# One image for the API + dispatcher and for every Ray node (head, CPU and GPU workers).
# No secret is baked in: the database password and the tokens come from the environment at
# run time (docker-compose reads them from .env).
FROM python:3.11-slim

ENV PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1
RUN apt-get update && apt-get install -y --no-install-recommends curl \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY pyproject.toml README.md ./
COPY tuner ./tuner
COPY trainables ./trainables
COPY api ./api
COPY dashboard ./dashboard
COPY configs ./configs
# GPU workers: build with --build-arg TF_EXTRA=and-cuda for TensorFlow's CUDA wheels.
ARG TF_EXTRA=""
RUN pip install '.[server,postgres]' && if [ -n "$TF_EXTRA" ]; then pip install "tensorflow[$TF_EXTRA]"; fi

RUN useradd --create-home --uid 1000 tunedrive && mkdir -p /shared && chown tunedrive /shared
USER tunedrive
ENV TUNEDRIVE_HOME=/home/tunedrive/.tunedrive
EXPOSE 8000
CMD ["tunedrive", "serve", "--host", "0.0.0.0", "--port", "8000"]
