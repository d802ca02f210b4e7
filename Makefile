# The contracts service. `make run` serves the API locally; `make test`
# runs every test against DynamoDB Local. sam build calls the
# build-<LogicalId> targets itself (BuildMethod: makefile).

# ARCH is the architecture bootstraps are built for: arm64 as deployed;
# tests and benchmarks pass the host's so they can run what they build.
# GOOS is linux as deployed; a macOS developer's local stack passes darwin
# so the bootstraps it runs are native. Both are taken from make's command
# line only: sam build runs build-<LogicalId> in the caller's environment,
# where an exported ARCH (x86_64, say) or GOOS would otherwise build a
# bootstrap Lambda cannot run.
ifneq ($(origin ARCH),command line)
ARCH := arm64
endif
ifneq ($(origin GOOS),command line)
GOOS := linux
endif
GO ?= go
FUNCTIONS := CreateContractFunction AuthorizerFunction ContractActionsFunction OrganizationContractsFunction ContractEventsFunction
DIR_CreateContractFunction := create-contract
DIR_AuthorizerFunction := authorizer
DIR_ContractActionsFunction := contract-actions
DIR_OrganizationContractsFunction := organization-contracts
DIR_ContractEventsFunction := contract-events

.PHONY: build run test bench lint fmt fuzz clean dynamodb-local $(addprefix build-,$(FUNCTIONS))

# build-<LogicalId> writes $(ARTIFACTS_DIR)/bootstrap, exactly what
# sam build expects of a provided.al2023 function.
$(addprefix build-,$(FUNCTIONS)): build-%:
	@test -n "$(ARTIFACTS_DIR)" || { echo "ARTIFACTS_DIR is not set" >&2; exit 2; }
	CGO_ENABLED=0 GOOS=$(GOOS) GOARCH=$(ARCH) $(GO) build -tags lambda.norpc -trimpath -ldflags='-s -w' \
		-o "$(ARTIFACTS_DIR)/bootstrap" ./functions/$(DIR_$*)

# build builds every function into .aws-sam/build/<LogicalId>/bootstrap,
# where sam build would put it, without needing SAM.
build:
	@for f in $(FUNCTIONS); do \
		$(MAKE) --no-print-directory build-$$f ARTIFACTS_DIR="$(CURDIR)/.aws-sam/build/$$f" || exit 1; \
	done

dynamodb-local:
	infra/dynamodb-local.sh install

# moto_server (Python's moto) is make run's local EventBridge, where the
# contract events go: the machine's own when it has one, otherwise moto
# installed, pinned, into a virtual environment in the git-ignored .local/.
MOTO_VERSION := 5.2.1
MOTO_SERVER := $(or $(shell command -v moto_server 2>/dev/null),$(CURDIR)/.local/venv/bin/moto_server)

$(CURDIR)/.local/venv/bin/moto_server:
	python3 -m venv "$(CURDIR)/.local/venv"
	"$(CURDIR)/.local/venv/bin/pip" install --quiet 'moto[server]==$(MOTO_VERSION)'

# run serves every route of template.yaml at http://127.0.0.1:$(PORT),
# with DynamoDB Local keeping its data in .local/data, and puts every
# change of a contract on the local bus .local/events.env names.
PORT ?= 3000
DDB_PORT ?= 8000
run: $(MOTO_SERVER)
	DDB_PORT=$(DDB_PORT) DDB_DATA_DIR="$(CURDIR)/.local/data" PORT=$(PORT) MOTO_SERVER="$(MOTO_SERVER)" \
		infra/dynamodb-local.sh run -- $(GO) run ./infra/local

# test runs unit, DynamoDB Local integration, template and bootstrap
# end-to-end tests, with the race detector. The contract events'
# end-to-end test takes the moto_server make run would use; without one it
# is skipped (or fails under CI).
test:
	MOTO_SERVER="$(MOTO_SERVER)" infra/dynamodb-local.sh run -- $(GO) test -race -count=1 ./...

# bench runs the Go benchmarks of bench/ and of each dialect (warm
# latency beside the bare DynamoDB calls, round trips and consumed
# capacity, handler CPU and allocations, create throughput, list pages at
# up to 50,000 contracts) and what Go benchmarks cannot measure (cold
# starts beside a hello-world function, artifact sizes, warm requests end
# to end through the local gateway), against DynamoDB Local; benchstat
# summarises them and BENCHMARKS.md is rewritten. It only reports: no
# number fails it.
bench:
	infra/dynamodb-local.sh run -- $(GO) run ./bench -go "$(GO)" -out BENCHMARKS.md

# fuzz runs every fuzz test of the module for FUZZTIME each, one after
# the other: go test -fuzz takes a single target of a single package.
# Targets are found with go test -list, so a new FuzzXxx joins without an
# edit here. FUZZMINIMIZETIME caps the time spent shrinking each new
# input, which by default may take a minute and eat a short run. make test
# runs the fuzz tests' seed corpora as ordinary tests.
FUZZTIME ?= 30s
FUZZMINIMIZETIME ?= 10s
fuzz:
	@set -e; \
	for pkg in $$($(GO) list -f '{{if or .TestGoFiles .XTestGoFiles}}{{.ImportPath}}{{end}}' ./...); do \
		list="$$($(GO) test -list '^Fuzz' $$pkg)" || { echo "$$list"; exit 1; }; \
		for target in $$(echo "$$list" | grep '^Fuzz'); do \
			echo "fuzz: $$target in $$pkg for $(FUZZTIME)"; \
			$(GO) test -run '^$$' -fuzz "^$$target\$$" -fuzztime $(FUZZTIME) \
				-fuzzminimizetime $(FUZZMINIMIZETIME) $$pkg; \
		done; \
	done

# lint: gofmt, go vet, staticcheck (fetched through the Go module proxy
# at the pinned version, nothing to install by hand), and AWS's cfn-lint
# over the template (it applies the SAM transform itself).
STATICCHECK_VERSION := v0.8.2
lint:
	@out="$$(gofmt -l .)"; if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...
	$(GO) run honnef.co/go/tools/cmd/staticcheck@$(STATICCHECK_VERSION) ./...
	@command -v cfn-lint >/dev/null 2>&1 || { echo "cfn-lint is not installed (pip install cfn-lint)" >&2; exit 1; }
	cfn-lint template.yaml

fmt:
	gofmt -w .

clean:
	rm -rf .aws-sam
