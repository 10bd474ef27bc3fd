# The suishoupai app image: the Python package, the PWA with its npm packages, served by uvicorn.
FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
RUN apt-get update && apt-get install -y --no-install-recommends nodejs npm && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY pyproject.toml README.md ./
COPY backend ./backend
RUN pip install --no-cache-dir .
COPY pwa ./pwa
RUN npm ci --prefix pwa --no-audit --no-fund
COPY media ./media
EXPOSE 8000
CMD ["suishoupai", "serve", "--host", "0.0.0.0", "--port", "8000"]
