# The devserver image: the generic one plus a data folder, owned by the non-root user, for the
# SQLite file. Mount a volume there; the root filesystem can stay read-only.
FROM scratch
COPY ca-certificates.crt /etc/ssl/certs/ca-certificates.crt
COPY --chown=65532:65532 data /data
COPY app /app
USER 65532:65532
# SQLite's temporary files go to TMPDIR.
ENV TMPDIR=/data
VOLUME /data
# 7233: the frontend (gRPC); 8233: the Web UI (HTTP).
EXPOSE 7233 8233
ENTRYPOINT ["/app"]
CMD ["--ip", "0.0.0.0", "--db-filename", "/data/temporal.db", "--log-format", "json"]
