# Entry points for a fresh machine: each target sets up what it needs (Node 24, npm packages,
# Kubernetes test binaries, the tests' S3 server, actionlint) when missing, then runs.
.PHONY: test demo binaries lint build image

test: ## Static checks + unit and integration tests (real kube-apiserver + etcd, emulator)
	bash scripts/test.sh

demo: ## The operator's main job end to end on local defaults
	bash scripts/demo.sh $(ARGS)

binaries: ## Build or locate kube-apiserver, etcd, kubectl, helm and the tests' S3 server (cached outside the repo)
	bash scripts/k8s-binaries.sh
	bash scripts/s3-server.sh

lint: ## biome, the type checker and actionlint (the GitHub Actions workflows)
	bash -c 'CBBS_SKIP_K8S_BINARIES=1 CBBS_SKIP_S3_SERVER=1 CBBS_SKIP_PROMTOOL=1 CBBS_SKIP_LUA=1 . scripts/setup.sh && npx biome check . && npx tsc -p tsconfig.json --noEmit && "$$ACTIONLINT" -no-color'

build:
	bash -c 'CBBS_SKIP_K8S_BINARIES=1 CBBS_SKIP_S3_SERVER=1 CBBS_SKIP_LUA=1 CBBS_SKIP_ACTIONLINT=1 . scripts/setup.sh && npm run build'

image: ## Build the operator image with whichever OCI builder is here (IMAGE, TAG, PLATFORMS, PUSH=1)
	bash scripts/image.sh
