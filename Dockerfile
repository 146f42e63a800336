# roomsd on scratch: one static (CGO-free) binary, CA certificates and a
# non-root user, nothing else: no shell, no package manager.
#
# Build it with `make image` (podman; CONTAINER=docker for Docker). That
# first fills the build context, bin/image/, with what this file copies:
#   roomsd                   CGO_ENABLED=0 go build ./cmd/roomsd, with the version in -ldflags
#   ca-certificates.crt      the build host's CA bundle (webhooks and SMTP over TLS)
#   passwd, group            packaging/image/: the user rooms, uid and gid 10001
#   data/                    an empty directory, the volume's mount point
# By hand: `make image-context && docker build -t roomsd bin/image`.
#
# Run it (the data volume keeps the store, keys and the create token):
#   podman run -d --name roomsd -p 7880:7880 -p 7882:7882/udp -v roomsd-data:/data \
#     localhost/roomsd:VERSION serve --public-url https://rooms.example.com --public-ip 203.0.113.7
FROM scratch

COPY passwd group /etc/
COPY ca-certificates.crt /etc/ssl/certs/ca-certificates.crt
COPY roomsd /usr/bin/roomsd
COPY --chown=10001:10001 data/ /data/

USER 10001:10001
ENV HOME=/data \
    ROOMSD_DATA_DIR=/data \
    ROOMSD_LISTEN=0.0.0.0:7880 \
    ROOMSD_UDP_PORT=7882
VOLUME ["/data"]
# 7880: HTTP (API, pages, signalling); 7882/udp: all call media.
EXPOSE 7880/tcp 7882/udp

# No shell or curl here: roomsd asks its own /healthz (on $ROOMSD_LISTEN).
HEALTHCHECK --interval=30s --timeout=5s --start-period=5s --retries=3 \
    CMD ["/usr/bin/roomsd", "healthcheck", "--timeout", "4s"]

ENTRYPOINT ["/usr/bin/roomsd"]
CMD ["serve"]
