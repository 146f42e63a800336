# rooms: self-hosted video rooms, terminal first.
# `make run` starts roomsd on the embedded store; `make test` runs every test;
# `make lint` checks formatting, go.mod and go.sum, go vet and staticcheck.

SHELL := /bin/bash
export PATH := /usr/local/go/bin:$(HOME)/go/bin:$(PATH)

GO        ?= go
BIN       := bin
VERSION   ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo devel)
COMMIT    ?= $(shell git rev-parse --short=12 HEAD 2>/dev/null || echo unknown)
# The build date is the commit's (UTC), so the same commit builds the same bytes.
DATE      ?= $(shell TZ=UTC0 git log -1 --date=format-local:%Y-%m-%dT%H:%M:%SZ --format=%cd 2>/dev/null || echo unknown)
VPKG      := github.com/rooms-dev/rooms/internal/version
LDFLAGS   := -X $(VPKG).Version=$(VERSION) -X $(VPKG).Commit=$(COMMIT) -X $(VPKG).Date=$(DATE)
# The container image: `make image` builds it with podman (or CONTAINER=docker).
CONTAINER ?= podman
IMAGE     ?= localhost/roomsd:$(VERSION)
IMAGE_CONTEXT ?= $(BIN)/image
LISTEN    ?= 127.0.0.1:7880
STATICCHECK := honnef.co/go/tools/cmd/staticcheck@v0.8.2

.PHONY: all build run test unit e2e lint bootstrap clean dist image image-context

all: build

bootstrap:
	@scripts/bootstrap

build:
	@mkdir -p $(BIN)
	CGO_ENABLED=0 $(GO) build -ldflags '$(LDFLAGS)' -o $(BIN)/roomsd ./cmd/roomsd
	$(GO) build -ldflags '$(LDFLAGS)' -o $(BIN)/rooms ./cmd/rooms

run: bootstrap build
	@echo
	@echo "  roomsd is starting at http://$(LISTEN) (embedded SQLite store; Ctrl-C stops it)."
	@echo "  In another shell, try:"
	@echo
	@echo "    export PATH=\"$(CURDIR)/$(BIN):\$$PATH\""
	@echo "    rooms create --theme aperitivo --at 19:00"
	@echo
	@exec $(BIN)/roomsd serve --listen $(LISTEN)

test: bootstrap
	$(GO) vet ./...
	$(GO) test -race -count=1 ./...
	$(MAKE) --no-print-directory e2e
	scripts/e2e-tui.sh

e2e:
	$(GO) test -count=1 -timeout 30m -tags e2e ./e2e/...

lint:
	@out=$$(gofmt -l .); if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi
	@$(GO) mod tidy -diff || { echo "go.mod or go.sum is not tidy (above, what go mod tidy would change): run go mod tidy"; exit 1; }
	$(GO) vet ./...
	$(GO) vet -tags e2e ./e2e/...
	$(GO) run $(STATICCHECK) ./...
	$(GO) run $(STATICCHECK) -tags e2e ./e2e/...

# dist/: versioned archives of roomsd (linux amd64, arm64) and rooms (linux
# amd64), .deb packages of both, and SHA256SUMS.
DIST ?= dist
dist:
	VERSION='$(VERSION)' LDFLAGS='$(LDFLAGS)' DIST='$(DIST)' scripts/dist

# The image's build context: a static roomsd, CA certificates, the passwd
# and group files of its user, an empty data directory and the Dockerfile.
image-context:
	@rm -rf $(IMAGE_CONTEXT) && mkdir -p $(IMAGE_CONTEXT)/data
	CGO_ENABLED=0 GOOS=linux $(GO) build -trimpath -ldflags '$(LDFLAGS) -s -w' -o $(IMAGE_CONTEXT)/roomsd ./cmd/roomsd
	cp Dockerfile packaging/image/passwd packaging/image/group /etc/ssl/certs/ca-certificates.crt $(IMAGE_CONTEXT)/

image: image-context
	$(CONTAINER) build $(if $(filter podman,$(CONTAINER)),--format docker) -t $(IMAGE) $(IMAGE_CONTEXT)

clean:
	rm -rf $(BIN) dist
