#!/usr/bin/env python3
"""End-to-end IPS SOAP test driven by zeep against a running Rendition server.

Usage:
    RENDITION_ADMIN_USER=admin@example.com RENDITION_ADMIN_PASSWORD=secret \\
        python tests/soap_client/zeep_client.py http://127.0.0.1:8080 [--soap12]

The client is generated from the WSDL the server serves at
{url}/scene7/webservice/IpsApi-2013-02-15.wsdl, exactly as a customer's zeep
client would be, and talks to {url}/scene7/services/IpsApiService with the
authHeader sent as a SOAP header. It needs a company named 'Demo' holding at
least one Image asset (uploads are not SOAP, so the test borrows an existing
owner image). Every step prints PASS, FAIL or SKIP; the exit status is 1 if any
step failed, 2 on a usage error.
"""

import argparse
import os
import sys
import traceback
import uuid

try:
    import requests
    import zeep
    from zeep.exceptions import Fault
    from zeep.transports import Transport
except ImportError:  # pragma: no cover
    sys.exit("zeep is not installed: pip install zeep")

IPS_NS = "http://www.scene7.com/IpsApi"
FAULT_NS = "http://www.scene7.com/IpsApi/xsd"
BINDINGS = {
    "1.1": "{%s}IpsApiServiceSoapBinding" % IPS_NS,
    "1.2": "{%s}IpsApiServiceSoap12Binding" % IPS_NS,
}
COMPANY = "Demo"


class StepFailed(Exception):
    pass


class Skip(Exception):
    pass


def check(condition, message):
    if not condition:
        raise StepFailed(message)


def items(array):
    """The list inside a zeep HandleArray/StringArray/AssetArray value (None → []).

    zeep unwraps a return element with a single child, so getAssets answers the
    AssetArray's items list itself rather than the AssetArray.
    """
    if array is None:
        return []
    if isinstance(array, list):
        return array
    return list(array["items"] or [])


def fault_code(fault):
    """(fault element local name, code) from a zeep Fault's <detail>, or (None, None).

    The fault element is expected in http://www.scene7.com/IpsApi/xsd; its
    <code> child is looked up by local name so that a server writing it
    unqualified is still understood (the FAIL message then shows what came).
    """
    detail = fault.detail
    if detail is None or isinstance(detail, str):
        return None, None
    for child in detail:
        if not isinstance(child.tag, str):
            continue  # comments, processing instructions
        name = child.tag.split("}")[-1]
        for code in child.iter():
            if isinstance(code.tag, str) and code.tag.split("}")[-1] == "code":
                try:
                    return name, int((code.text or "").strip())
                except ValueError:
                    return name, None
        return name, None
    return None, None


def describe_fault(fault):
    name, code = fault_code(fault)
    return "SOAP fault %r (faultcode %s, detail %s %s)" % (fault.message, fault.code, name, code)


class Run:
    def __init__(self):
        self.failed = 0
        self.passed = 0
        self.skipped = 0

    def step(self, title, fn, *args):
        """Run one step; return its result, or None when it failed or was skipped."""
        try:
            result = fn(*args)
        except Skip as skip:
            self.skipped += 1
            print("SKIP  %s: %s" % (title, skip), flush=True)
            return None
        except StepFailed as failure:
            self.failed += 1
            print("FAIL  %s: %s" % (title, failure), flush=True)
            return None
        except Fault as fault:
            self.failed += 1
            print("FAIL  %s: unexpected %s" % (title, describe_fault(fault)), flush=True)
            return None
        except Exception as exc:  # transport errors, XML that does not match the WSDL, ...
            self.failed += 1
            print("FAIL  %s: %s: %s" % (title, type(exc).__name__, exc), flush=True)
            if os.environ.get("ZEEP_CLIENT_TRACEBACK"):
                traceback.print_exc()
            return None
        self.passed += 1
        print("PASS  %s" % title, flush=True)
        return result


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("url", help="server base URL, e.g. http://127.0.0.1:8080")
    parser.add_argument("--soap12", action="store_true", help="use the SOAP 1.2 binding instead of SOAP 1.1")
    parser.add_argument("--timeout", type=float, default=30.0, help="HTTP timeout in seconds")
    args = parser.parse_args()

    user = os.environ.get("RENDITION_ADMIN_USER")
    password = os.environ.get("RENDITION_ADMIN_PASSWORD")
    if not user or not password:
        print("RENDITION_ADMIN_USER and RENDITION_ADMIN_PASSWORD must be set", file=sys.stderr)
        return 2

    base = args.url.rstrip("/")
    wsdl_url = base + "/scene7/webservice/IpsApi-2013-02-15.wsdl"
    endpoint = base + "/scene7/services/IpsApiService"
    binding = BINDINGS["1.2" if args.soap12 else "1.1"]
    auth = {"user": user, "password": password, "appName": "rendition-zeep-test", "appVersion": "1.0"}
    headers = {"authHeader": auth}

    run = Run()
    state = {}

    def load_wsdl():
        session = requests.Session()
        transport = Transport(session=session, timeout=args.timeout, operation_timeout=args.timeout)
        client = zeep.Client(wsdl_url, transport=transport)
        service = client.create_service(binding, endpoint)
        for name in ("createDerivedAsset", "setUrlModifier", "getAssets", "getAssociatedAssets", "deleteAsset",
                     "searchAssets", "getCompanyInfo"):
            check(hasattr(service, name), "the served WSDL has no operation %s" % name)
        state["service"] = service
        return service

    def get_company_info():
        company = state["service"].getCompanyInfo(companyName=COMPANY, _soapheaders=headers)
        check(company is not None, "empty getCompanyInfoReturn")
        check(company.companyHandle, "companyInfo has no companyHandle")
        check(company.name == COMPANY, "companyInfo/name is %r, expected %r" % (company.name, COMPANY))
        check(company.rootPath, "companyInfo has no rootPath")
        state["company"] = company
        return company

    def search_owner():
        result = state["service"].searchAssets(
            companyHandle=state["company"].companyHandle,
            includeSubfolders=True,
            assetTypeArray={"items": ["Image"]},
            _soapheaders=headers,
        )
        assets = items(result.assetArray) if result is not None else []
        if not assets:
            raise StepFailed("no Image asset in company %r: import one before running this test" % COMPANY)
        for asset in assets:
            check(asset.type == "Image", "searchAssets(assetTypeArray=[Image]) returned a %r" % asset.type)
            check(asset.assetHandle, "an asset without assetHandle")
        if result.totalRows is not None:
            check(result.totalRows >= len(assets), "totalRows %s < %d returned" % (result.totalRows, len(assets)))
        state["owner"] = assets[0]
        return assets[0]

    def create_derived():
        owner = state["owner"]
        name = "ZeepView" + uuid.uuid4().hex[:10]
        handle = state["service"].createDerivedAsset(
            companyHandle=state["company"].companyHandle,
            ownerHandle=owner.assetHandle,
            folderHandle=owner.folderHandle or state["company"].rootPath or COMPANY + "/",
            name=name,
            type="AdjustedView",
            urlModifier="wid=100",
            urlPostApplyModifier="qlt=90",
            _soapheaders=headers,
        )
        check(isinstance(handle, str) and handle, "createDerivedAssetReturn/assetHandle is %r" % (handle,))
        check(handle != owner.assetHandle, "the derived asset got its owner's handle")
        state["derived"] = handle
        state["derived_name"] = name
        return handle

    def get_derived():
        return items(
            state["service"].getAssets(
                companyHandle=state["company"].companyHandle,
                assetHandleArray={"items": [state["derived"]]},
                _soapheaders=headers,
            )
        )

    def check_modifiers(modifier, post):
        assets = get_derived()
        check(len(assets) == 1, "getAssets returned %d assets for one handle" % len(assets))
        asset = assets[0]
        check(asset.assetHandle == state["derived"], "assetHandle %r" % asset.assetHandle)
        check(asset.type == "AdjustedView", "type is %r, expected 'AdjustedView'" % asset.type)
        check(asset.name == state["derived_name"], "name is %r, expected %r" % (asset.name, state["derived_name"]))
        info = asset.imageInfo
        check(info is not None, "AdjustedView has no imageInfo (layerViewInfo=%r)" % (asset.layerViewInfo,))
        check(info.urlModifier == modifier, "imageInfo/urlModifier is %r, expected %r" % (info.urlModifier, modifier))
        check(
            info.urlPostApplyModifier == post,
            "imageInfo/urlPostApplyModifier is %r, expected %r" % (info.urlPostApplyModifier, post),
        )
        return asset

    def set_url_modifier():
        result = state["service"].setUrlModifier(
            companyHandle=state["company"].companyHandle,
            assetHandle=state["derived"],
            urlModifier="wid=120",
            urlPostApplyModifier="qlt=80",
            _soapheaders=headers,
        )
        check(result is None, "setUrlModifierReturn should be empty, got %r" % (result,))
        check_modifiers("wid=120", "qlt=80")

    def associated_lists_derived():
        result = state["service"].getAssociatedAssets(
            companyHandle=state["company"].companyHandle,
            assetHandle=state["owner"].assetHandle,
            _soapheaders=headers,
        )
        check(result is not None, "empty getAssociatedAssetsReturn")
        derived = [a.assetHandle for a in items(result.derivedArray)]
        check(state["derived"] in derived, "derivedArray %r lacks %r" % (derived, state["derived"]))

    def delete_derived():
        result = state["service"].deleteAsset(
            companyHandle=state["company"].companyHandle,
            assetHandle=state["derived"],
            _soapheaders=headers,
        )
        check(result is None, "deleteAssetReturn should be empty, got %r" % (result,))
        state["deleted"] = True
        # Deleted assets may stay visible in the Trash; they must not look live.
        for asset in get_derived():
            check(
                asset.trashState not in (None, "NotInTrash"),
                "after deleteAsset, getAssets still returns it with trashState %r" % asset.trashState,
            )

    def bad_modifier_faults():
        owner = state["owner"]
        try:
            handle = state["service"].createDerivedAsset(
                companyHandle=state["company"].companyHandle,
                ownerHandle=owner.assetHandle,
                folderHandle=owner.folderHandle or state["company"].rootPath or COMPANY + "/",
                name="ZeepBad" + uuid.uuid4().hex[:10],
                type="AdjustedView",
                urlModifier="wid=abc",
                _soapheaders=headers,
            )
        except Fault as fault:
            name, code = fault_code(fault)
            check(code == 30001, "expected ipsApiFault code 30001, got %s" % describe_fault(fault))
            check(name == "ipsApiFault", "expected an ipsApiFault detail, got %s" % describe_fault(fault))
            return
        state["stray"] = handle
        raise StepFailed("createDerivedAsset(urlModifier='wid=abc') succeeded with %r; expected a fault" % handle)

    def wrong_password_faults():
        bad = {"authHeader": dict(auth, password=password + "-wrong")}
        try:
            state["service"].getCompanyInfo(companyName=COMPANY, _soapheaders=bad)
        except Fault as fault:
            name, code = fault_code(fault)
            check(
                name == "authenticationFault" and code == 10001,
                "expected authenticationFault 10001, got %s" % describe_fault(fault),
            )
            return
        raise StepFailed("getCompanyInfo with a wrong password succeeded")

    print("server %s, %s binding" % (base, "SOAP 1.2" if args.soap12 else "SOAP 1.1"), flush=True)

    def needs(*keys):
        def deco(fn):
            def wrapped(*a):
                missing = [k for k in keys if k not in state]
                if missing:
                    raise Skip("needs %s from an earlier step" % ", ".join(missing))
                return fn(*a)

            return wrapped

        return deco

    run.step("load WSDL %s" % wsdl_url, load_wsdl)
    run.step("getCompanyInfo(companyName=%r)" % COMPANY, needs("service")(get_company_info))
    run.step("searchAssets(assetTypeArray=[Image]) finds an owner image", needs("company")(search_owner))
    run.step("createDerivedAsset(AdjustedView, wid=100, qlt=90)", needs("owner")(create_derived))
    run.step("getAssets shows imageInfo urlModifier 'wid=100'", needs("derived")(lambda: check_modifiers("wid=100", "qlt=90")))
    run.step("setUrlModifier(wid=120, qlt=80), read back by getAssets", needs("derived")(set_url_modifier))
    run.step("getAssociatedAssets(owner) lists it in derivedArray", needs("derived")(associated_lists_derived))
    run.step("deleteAsset(derived)", needs("derived")(delete_derived))
    run.step("createDerivedAsset(urlModifier='wid=abc') faults with 30001", needs("owner")(bad_modifier_faults))
    run.step("wrong password faults with authenticationFault 10001", needs("service")(wrong_password_faults))

    # Leave the company as we found it.
    for key in ("stray",) + (() if state.get("deleted") else ("derived",)):
        if key in state:
            try:
                state["service"].deleteAsset(
                    companyHandle=state["company"].companyHandle, assetHandle=state[key], _soapheaders=headers
                )
                print("      cleanup: deleted %s" % state[key])
            except Exception as exc:
                print("      cleanup: could not delete %s: %s" % (state[key], exc))

    print("%d passed, %d failed, %d skipped" % (run.passed, run.failed, run.skipped))
    return 1 if run.failed else 0


if __name__ == "__main__":
    sys.exit(main())
