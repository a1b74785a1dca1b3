<?xml version="1.0" encoding="UTF-8"?>
<!-- Written for Yitu's tests: a CityGML 3.0 building with a core:Address in xAL 3 and its position in
     EPSG:4326; the building's geometry is in EPSG:4549. -->
<core:CityModel xmlns:core="http://www.opengis.net/citygml/3.0" xmlns:gml="http://www.opengis.net/gml/3.2"
 xmlns:bldg="http://www.opengis.net/citygml/building/3.0" xmlns:con="http://www.opengis.net/citygml/construction/3.0"
 xmlns:xAL="urn:oasis:names:tc:ciq:ct:3.0">
 <core:cityObjectMember>
  <bldg:Building gml:id="V3">
   <core:address>
    <core:Address>
     <core:xalAddress>
      <xAL:Address>
       <xAL:Country><xAL:NameElement xAL:NameType="Name">中国</xAL:NameElement></xAL:Country>
       <xAL:Locality xAL:Type="Town"><xAL:NameElement xAL:NameType="Name">莱州市</xAL:NameElement></xAL:Locality>
       <xAL:Thoroughfare xAL:Type="Street"><xAL:Number xAL:Type="Number">1</xAL:Number><xAL:NameElement>府前路</xAL:NameElement></xAL:Thoroughfare>
       <xAL:PostCode><xAL:Identifier xAL:Type="Number">261400</xAL:Identifier></xAL:PostCode>
      </xAL:Address>
     </core:xalAddress>
     <core:multiPoint><gml:MultiPoint srsName="EPSG:4326"><gml:pointMember><gml:Point><gml:pos srsDimension="3">119.9380 37.1780 12.0</gml:pos></gml:Point></gml:pointMember></gml:MultiPoint></core:multiPoint>
    </core:Address>
   </core:address>
   <core:boundary>
    <con:RoofSurface gml:id="V3-roof">
     <core:lod2MultiSurface>
      <gml:MultiSurface srsName="EPSG:4549" srsDimension="3">
       <gml:surfaceMember><gml:Polygon gml:id="V3-roof-p"><gml:exterior><gml:LinearRing><gml:posList>494500 4115000 6 494510 4115000 6 494510 4115010 6 494500 4115010 6 494500 4115000 6</gml:posList></gml:LinearRing></gml:exterior></gml:Polygon></gml:surfaceMember>
      </gml:MultiSurface>
     </core:lod2MultiSurface>
    </con:RoofSurface>
   </core:boundary>
  </bldg:Building>
 </core:cityObjectMember>
</core:CityModel>
